import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ElasticBeanstalkClient, UpdateEnvironmentCommand } from "@aws-sdk/client-elastic-beanstalk";
import { CreateDBInstanceCommand, CreateDBSubnetGroupCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { decouple } from "../../../src/api/decouple.js";
import { planOnline } from "../../../src/api/plan.js";
import { main } from "../../../src/cli/main.js";
import { isEbdbError } from "../../../src/errors.js";
import { RecordingIoHost } from "../../../src/io.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import { settle } from "../../fakes/aws/eb-coupled-seed.js";
import { EB_NAMESPACES, type FakeAws } from "../../fakes/aws/index.js";
import { captureOutput } from "../../fixtures/output.js";
import { world } from "./harness.js";
import { ctxIn, coupledWorld, PASSWORD, READERS } from "./coupled-world.js";

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-adopt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function folder(name: string): Promise<string> {
  const f = join(dir, name);
  await rm(f, { recursive: true, force: true });
  const { mkdir } = await import("node:fs/promises");
  await mkdir(f, { recursive: true });
  return f;
}

describe("ebdb adopt (AWS fake)", () => {
  it("describes a coupled database with replicas in config.env, tags it, and changes nothing else", async () => {
    const w = await coupledWorld();
    fake = w.fake;
    const cwd = await folder("coupled");
    const before = JSON.stringify(fake.state.region().rds.instances.get(w.id), (k, v) =>
      k === "tags" ? undefined : v,
    );
    const mutatingBefore = fake.calls.filter((c) => c.mutating).length;
    const io = new RecordingIoHost();
    const r = await adopt(ctxIn(cwd, io), { identifier: w.id, clock: fake.clock });

    expect(r.config).toBe("written");
    expect(r.replicas).toEqual(READERS);
    expect(r.environment).toEqual({
      application: "my-app",
      name: "my-app-prod",
      coupled: true,
      deletionPolicy: "Delete",
    });
    const text = await readFile(join(cwd, "config.env"), "utf8");
    // Every key is there, each with where its value came from.
    expect(text).toMatch(
      /^# DB_ENGINE_VERSION: RDS DescribeDBInstances EngineVersion\.\nDB_ENGINE_VERSION="16\.4"$/m,
    );
    expect(text).toContain(`DB_INSTANCE_IDENTIFIER="${w.id}"`);
    expect(text).toContain('DB_NAME="ebdb"');
    expect(text).toContain('DB_MASTER_USERNAME="ebroot"');
    expect(text).toContain('DB_STORAGE_TYPE="gp2"');
    expect(text).toMatch(/Production default: true\.\nDB_MULTI_AZ="false"/);
    expect(text).toMatch(/Production default: 7\.\nDB_BACKUP_RETENTION_DAYS="1"/);
    expect(text).toContain('DB_READ_REPLICA_ENABLED="true"');
    expect(text).toContain('DB_READ_REPLICA_COUNT="2"');
    expect(text).toContain('EB_RDS_PROPERTIES="true"');
    expect(text).toContain('DB_ACCESS_MODE="eb-sg"');
    expect(text).toMatch(/DB_SECURITY_GROUP_NAME=".*-AWSEBRDSDBSecurityGroup-/);
    expect(text).toContain('DB_MASTER_PASSWORD=""');
    // ebdb's additions are described as the instance has them: EB's default group, no log exports, no
    // alarms, no autoscaling (max = the replicas there are); each is listed as a difference below.
    expect(text).toMatch(/^DB_PARAMETER_GROUP_NAME="default\.postgres16"$/m);
    expect(text).toMatch(/^# DB_SLOW_QUERY_MS=""$/m);
    expect(text).toContain('DB_CLOUDWATCH_LOGS_EXPORTS="none"');
    expect(text).toContain('DB_ALARMS_ENABLED="false"');
    expect(text).toContain('DB_READ_REPLICA_MAX_CAPACITY="2"');
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain("run `ebdb decouple --target aws` before anything else");

    // Tags only: the instance's settings are as they were; replicas keep their names and get their index.
    const r0 = fake.state.region();
    const inst = r0.rds.instances.get(w.id)!;
    expect(JSON.stringify(inst, (k, v) => (k === "tags" ? undefined : v))).toBe(before);
    expect(inst.tags).toEqual(expect.arrayContaining([{ Key: "ebdb:managed", Value: "true" }]));
    READERS.forEach((name, i) => {
      expect(r0.rds.instances.get(name)!.tags).toEqual(
        expect.arrayContaining([
          { Key: "ebdb:replica-of", Value: w.id },
          { Key: "ebdb:replica-index", Value: String(i + 1) },
        ]),
      );
    });
    const mutating = fake.calls
      .slice(0)
      .filter((c) => c.mutating)
      .slice(mutatingBefore);
    expect(new Set(mutating.map((c) => c.command))).toEqual(new Set(["AddTagsToResource"]));
    expect(r.tagged).toEqual([w.id, ...READERS]);

    // What differs from the production defaults, each with the planner's impact.
    const multiAz = r.differences.find((d) => d.key === "DB_MULTI_AZ")!;
    expect(multiAz.changes[0]).toMatchObject({ field: "multiAz", from: false, to: true, impact: "none" });
    const enc = r.differences.find((d) => d.key === "DB_STORAGE_ENCRYPTED")!;
    expect(enc.changes[0]).toMatchObject({ field: "storage.encrypted", impact: "replace" });
    expect(r.notes.join(" ")).toMatch(/cannot encrypt a running instance.*Downtime: about \d+ minutes/);
    const group = r.differences.find((d) => d.key === "DB_PARAMETER_GROUP_NAME")!;
    expect(group.changes.filter((c) => c.field === "parameterGroup").map((c) => c.impact)).toEqual([
      "restart",
      "restart",
      "restart",
    ]);
    expect(r.differences.find((d) => d.key === "DB_ALARMS_ENABLED")!.changes.length).toBeGreaterThanOrEqual(
      8,
    );
    expect(r.differences.find((d) => d.key === "DB_READ_REPLICA_MAX_CAPACITY")!.changes[0].kind).toBe(
      "autoscaler",
    );
    expect(r.notes[0]).toContain("coupled to Elastic Beanstalk environment my-app-prod");

    // plan: while coupled, decouple first; it changes nothing.
    const plan = await planOnline(ctxIn(cwd), {
      target: createAwsTarget(ctxIn(cwd), { clock: fake.clock }),
      now: fake.clock.now(),
    });
    // Empty: nothing refused either; what decouple itself makes is one note, not a list of refusals.
    expect(plan.plan.changes).toEqual([]);
    expect(plan.plan.refused).toEqual([]);
    expect(plan.plan.notes.join(" ")).toContain("`ebdb decouple --target aws`");
    expect(plan.plan.notes.join(" ")).toMatch(
      /decouple --target aws` makes deletion protection, the secrets in Secrets Manager, .*the replicas behind the database's security group/,
    );
    // A change of config.env while coupled is refused until decoupling.
    await writeFile(join(cwd, "config.env"), text.replace('DB_MULTI_AZ="false"', 'DB_MULTI_AZ="true"'));
    const edited = await planOnline(ctxIn(cwd), {
      target: createAwsTarget(ctxIn(cwd), { clock: fake.clock }),
      now: fake.clock.now(),
    });
    expect(edited.plan.changes).toEqual([]);
    expect(edited.plan.refused.map((c) => c.field)).toEqual(["multiAz"]);
    expect(edited.plan.refused[0].reason).toContain("run `ebdb decouple --target aws` first");
    await writeFile(join(cwd, "config.env"), text);

    // Twice: the same file, no tag written, nothing else.
    const n = fake.calls.filter((c) => c.mutating).length;
    const again = await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock });
    expect(again.config).toBe("unchanged");
    expect(again.tagged).toEqual([]);
    expect(fake.calls.filter((c) => c.mutating).length).toBe(n);
    expect(await readFile(join(cwd, "config.env"), "utf8")).toBe(text);
  });

  it("refuses to overwrite a config.env of another instance, and an identifier that does not exist", async () => {
    const w = await coupledWorld();
    fake = w.fake;
    const cwd = await folder("other");
    await writeFile(join(cwd, "config.env"), 'APP_NAME="other"\nDB_INSTANCE_IDENTIFIER="other-db"\n');
    const e = await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(e) && e.code).toBe("CONFIG_EXISTS");
    expect(e.message).toContain("another instance, other-db");
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain("other-db");

    const empty = await folder("missing");
    const m = await adopt(ctxIn(empty), { identifier: "nothing-here", clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(m) && [m.code, m.exitCode]).toEqual(["NOT_FOUND", 2]);
    const bad = await adopt(ctxIn(empty), { identifier: "bad--name", clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(bad) && bad.code).toBe("BAD_IDENTIFIER");
    const replica = await adopt(ctxIn(empty), { identifier: READERS[0], clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(replica) && replica.hint).toContain(`--identifier ${w.id}`);
  });

  it("a database made by hand that an environment's DB_HOST names: found, not coupled; the CLI says what it did", async () => {
    const w = world({ dbSubnets: true });
    fake = w.fake;
    const env = w.env;
    const rds = new RDSClient({ region: "us-east-1" });
    const ec2 = new EC2Client({ region: "us-east-1" });
    await rds.send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: "shop-subnets",
        DBSubnetGroupDescription: "by hand",
        SubnetIds: env.privateSubnetIds,
      }),
    );
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: "shop-db", Description: "by hand", VpcId: env.vpcId }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg.GroupId,
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: 5432,
            ToPort: 5432,
            UserIdGroupPairs: [{ GroupId: env.instanceSecurityGroupId }],
          },
        ],
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "shop-db",
        Engine: "postgres",
        EngineVersion: "16.4",
        DBInstanceClass: "db.t3.small",
        AllocatedStorage: 50,
        StorageType: "gp3",
        StorageEncrypted: true,
        MultiAZ: true,
        MasterUsername: "shop",
        MasterUserPassword: "Hand-made-pa55",
        DBName: "shop",
        BackupRetentionPeriod: 7,
        DeletionProtection: true,
        MaxAllocatedStorage: 200,
        DBSubnetGroupName: "shop-subnets",
        VpcSecurityGroupIds: [sg.GroupId!],
      }),
    );
    fake.clock.advance(20 * 60_000);
    const host = fake.state.region().rds.instances.get("shop-db")!;
    const endpoint = `shop-db.${fake.state.region().rds.endpointSuffix}.us-east-1.rds.amazonaws.com`;
    expect(host.status).toBe("available");
    await new ElasticBeanstalkClient({ region: "us-east-1" }).send(
      new UpdateEnvironmentCommand({
        EnvironmentName: "my-app-prod",
        OptionSettings: [{ Namespace: EB_NAMESPACES.env, OptionName: "DB_HOST", Value: endpoint }],
      }),
    );
    await settle(fake, "us-east-1", "my-app-prod");

    const cwd = await folder("by-hand");
    const o = captureOutput();
    const code = await main(["adopt", "--identifier", "shop-db", "--region", "us-east-1"], o, {}, cwd);
    expect(o.stderr()).toBe("");
    expect(code).toBe(0);
    const out = o.stdout();
    expect(out).toContain(
      "Adopted shop-db (EB environment my-app/my-app-prod); no read replicas".replace(
        "; no read replicas",
        ".",
      ),
    );
    expect(out).toContain("Wrote config.env: every key, each with where its value came from.");
    expect(out).toContain("Nothing else was changed.");
    // Nothing below the production defaults that it set, so none of those lines; the password note instead.
    expect(out).not.toContain("DB_MULTI_AZ=");
    expect(out).not.toContain("not encrypted");
    expect(out).not.toContain("coupled");
    expect(out).toContain("sets a new master password on shop-db");
    const text = await readFile(join(cwd, "config.env"), "utf8");
    expect(text).toMatch(
      /# EB_ENVIRONMENT_NAME: EB environment my-app\/my-app-prod \(its property DB_HOST names the endpoint\)\./,
    );
    for (const line of [
      'APP_NAME="my-app"',
      'DB_INSTANCE_CLASS="db.t3.small"',
      'DB_STORAGE_TYPE="gp3"',
      'DB_ALLOCATED_STORAGE="50"',
      'DB_MAX_ALLOCATED_STORAGE="200"',
      'DB_STORAGE_ENCRYPTED="true"',
      'DB_MULTI_AZ="true"',
      'DB_NAME="shop"',
      'DB_ACCESS_MODE="eb-sg"',
      'DB_SECURITY_GROUP_NAME="shop-db"',
      'DB_SUBNET_GROUP_NAME="shop-subnets"',
      'EB_RDS_PROPERTIES="false"',
      'DB_READ_REPLICA_ENABLED="false"',
    ])
      expect(text).toContain(line);
    expect(text).not.toContain("Hand-made-pa55");

    // Not coupled: decouple has nothing to do, and says so without changing anything.
    const n = fake.countCalls({ mutating: true });
    const e = await decouple(ctxIn(cwd), { clock: fake.clock }).catch((x: unknown) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["NOT_COUPLED", 2]);
    expect(fake.countCalls({ mutating: true })).toBe(n);

    // Without --identifier: exit 2 naming the flag.
    const bad = captureOutput();
    expect(await main(["adopt"], bad, {}, cwd)).toBe(2);
    expect(bad.stderr()).toContain("--identifier");
  });
});
