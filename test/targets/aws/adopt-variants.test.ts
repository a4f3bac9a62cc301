import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ElasticBeanstalkClient, UpdateEnvironmentCommand } from "@aws-sdk/client-elastic-beanstalk";
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { decouple } from "../../../src/api/decouple.js";
import { planOnline } from "../../../src/api/plan.js";
import { requireConfig } from "../../../src/config/load.js";
import { parseEnv } from "../../../src/config/parse.js";
import { resolveConfig } from "../../../src/config/resolve.js";
import { isEbdbError } from "../../../src/errors.js";
import { deriveDesired } from "../../../src/model/desired.js";
import type { Change } from "../../../src/model/change.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import { appDatabases } from "../../fakes/aws/eb-app-db.js";
import { addCoupledDatabase, settle } from "../../fakes/aws/eb-coupled-seed.js";
import { isSimulatedCrash } from "../../fakes/aws/errors.js";
import { EB_NAMESPACES, type FakeAws } from "../../fakes/aws/index.js";
import { ctxIn } from "./coupled-world.js";
import { desiredOf, up, world } from "./harness.js";

// `ebdb adopt` on databases of every kind: config.env must describe each so that `plan` changes
// none of its settings (and refuses nothing), and adopt must change nothing but tags.

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-adopt-variants-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function folder(name: string): Promise<string> {
  const cwd = join(dir, name);
  await mkdir(cwd, { recursive: true });
  return cwd;
}

async function planIn(cwd: string) {
  return (
    await planOnline(ctxIn(cwd), {
      target: createAwsTarget(ctxIn(cwd), { clock: fake.clock }),
      now: fake.clock.now(),
    })
  ).plan;
}

const brief = (cs: Change[]) => cs.map((c) => `${c.kind} ${c.resource} ${c.action} ${c.field ?? ""}`);

interface ByHand {
  instance: Partial<CreateDBInstanceCommandInput>;
  /** A parameter group of the team's, with these parameters. */
  group?: { family: string; params: Record<string, string> };
  replicas?: { name: string; instanceClass?: string }[];
  /** EB environment properties beside DB_HOST (which names the endpoint). */
  props?: Record<string, string>;
  /** The database's group also admits a bastion's group and an address range. */
  bastion?: boolean;
  /** Encrypted with a customer managed key of this alias (made here). */
  kmsAlias?: string;
}

/** A database made by hand in the EB environment's VPC; the environment's DB_HOST names its endpoint. */
async function byHand(id: string, o: ByHand): Promise<string> {
  const w = world({ dbSubnets: true });
  fake = w.fake;
  const rds = new RDSClient({ region: "us-east-1" });
  const ec2 = new EC2Client({ region: "us-east-1" });
  await rds.send(
    new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: `${id}-subnets`,
      DBSubnetGroupDescription: "by hand",
      SubnetIds: w.env.privateSubnetIds,
    }),
  );
  const port = o.instance.Port ?? (o.instance.Engine ? 3306 : 5432);
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `${id}-db`, Description: "by hand", VpcId: w.env.vpcId }),
  );
  const bastion = o.bastion
    ? await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: "bastion", Description: "ssh", VpcId: w.env.vpcId }),
      )
    : null;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg.GroupId,
      IpPermissions: [
        {
          IpProtocol: "tcp",
          FromPort: port,
          ToPort: port,
          UserIdGroupPairs: [
            { GroupId: w.env.instanceSecurityGroupId },
            ...(bastion ? [{ GroupId: bastion.GroupId, Description: "bastion" }] : []),
          ],
          ...(bastion ? { IpRanges: [{ CidrIp: "10.0.0.0/16", Description: "office VPN" }] } : {}),
        },
      ],
    }),
  );
  if (o.kmsAlias) {
    const kms = new KMSClient({ region: "us-east-1" });
    const key = await kms.send(new CreateKeyCommand({ Description: "the team's" }));
    await kms.send(new CreateAliasCommand({ AliasName: o.kmsAlias, TargetKeyId: key.KeyMetadata!.KeyId }));
  }
  if (o.group) {
    const name = `${id}-team`;
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: name,
        DBParameterGroupFamily: o.group.family,
        Description: "the team's",
      }),
    );
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: name,
        Parameters: Object.entries(o.group.params).map(([ParameterName, ParameterValue]) => ({
          ParameterName,
          ParameterValue,
          ApplyMethod: "pending-reboot",
        })),
      }),
    );
  }
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: "postgres",
      EngineVersion: "16.4",
      DBInstanceClass: "db.t3.small",
      AllocatedStorage: 20,
      MasterUsername: "owner",
      MasterUserPassword: "Hand-made-pa55",
      BackupRetentionPeriod: 7,
      DBSubnetGroupName: `${id}-subnets`,
      VpcSecurityGroupIds: [sg.GroupId!],
      ...(o.group ? { DBParameterGroupName: `${id}-team` } : {}),
      ...(o.kmsAlias ? { StorageEncrypted: true, KmsKeyId: o.kmsAlias } : {}),
      ...o.instance,
    }),
  );
  fake.clock.advance(30 * 60_000);
  for (const r of o.replicas ?? []) {
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: r.name,
        SourceDBInstanceIdentifier: id,
        DBInstanceClass: r.instanceClass,
      }),
    );
  }
  if (o.replicas) fake.clock.advance(30 * 60_000);
  expect(fake.state.region().rds.instances.get(id)!.status).toBe("available");
  const endpoint = `${id}.${fake.state.region().rds.endpointSuffix}.us-east-1.rds.amazonaws.com`;
  await new ElasticBeanstalkClient({ region: "us-east-1" }).send(
    new UpdateEnvironmentCommand({
      EnvironmentName: "my-app-prod",
      OptionSettings: Object.entries({ DB_HOST: endpoint, ...o.props }).map(([OptionName, Value]) => ({
        Namespace: EB_NAMESPACES.env,
        OptionName,
        Value: Value.replace("HOST", endpoint),
      })),
    }),
  );
  await settle(fake, "us-east-1", "my-app-prod");
  return folder(id);
}

/**
 * What `up` may still do to a database made by hand after adopt: ebdb's own wiring (its secret, the
 * instance role's policy, the EB variables), deletion protection on, the replicas behind the
 * database's security group. Nothing else of the instances, and nothing refused.
 */
function onlyEbdbsWiring(changes: Change[]): Change[] {
  return changes.filter(
    (c) =>
      !(
        c.kind === "secret" ||
        c.kind === "iam-policy" ||
        (c.kind === "eb-environment" && c.field === "properties") ||
        (c.kind === "instance" && c.field === "deletionProtection" && c.to === true) ||
        (c.kind === "replica" && c.field === "securityGroups")
      ),
  );
}

const BY_HAND: [string, ByHand, (text: string, r: Awaited<ReturnType<typeof adopt>>) => void][] = [
  [
    "pg-gp3-provisioned",
    {
      // gp3 from 400 GiB with IOPS and throughput above the baseline, encrypted with the team's key
      // (its alias), Multi-AZ, Performance
      // Insights for 2 years, one log type exported, storage autoscaling, and the team's own group.
      instance: {
        StorageType: "gp3",
        AllocatedStorage: 400,
        Iops: 12000,
        StorageThroughput: 500,
        StorageEncrypted: true,
        MultiAZ: true,
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 731,
        PerformanceInsightsKMSKeyId: "alias/team-db",
        EnableCloudwatchLogsExports: ["postgresql"],
        MaxAllocatedStorage: 1000,
        DeletionProtection: true,
      },
      group: { family: "postgres16", params: { log_min_duration_statement: "500", "rds.force_ssl": "1" } },
      kmsAlias: "alias/team-db",
    },
    (text) => {
      for (const line of [
        'DB_IOPS="12000"',
        'DB_STORAGE_THROUGHPUT="500"',
        'DB_PERFORMANCE_INSIGHTS_RETENTION="731"',
        'DB_CLOUDWATCH_LOGS_EXPORTS="postgresql"',
        'DB_PARAMETER_GROUP_NAME="pg-gp3-provisioned-team"',
        'DB_NAME="postgres"',
      ])
        expect(text).toContain(line);
      expect(text).toMatch(/^DB_KMS_KEY_ID="arn:aws:kms:us-east-1:\d{12}:key\//m);
    },
  ],
  [
    "mysql-io1-small",
    {
      // MySQL on a class without Performance Insights (RDS has none for MySQL on db.t3.small), io1,
      // a replica of a larger class.
      instance: {
        Engine: "mysql",
        EngineVersion: "8.0.39",
        StorageType: "io1",
        AllocatedStorage: 100,
        Iops: 3000,
        DBName: "shop",
      },
      replicas: [{ name: "mysql-io1-small-r", instanceClass: "db.t3.medium" }],
    },
    (text, r) => {
      expect(text).toContain('DB_READ_REPLICA_INSTANCE_CLASS="db.t3.medium"');
      // Every production default the instance misses is listed with what taking it changes, although
      // Performance Insights (which the class cannot have) is not among them.
      const keys = r.differences.map((d) => d.key);
      expect(keys).toEqual(expect.arrayContaining(["DB_MULTI_AZ", "DB_STORAGE_ENCRYPTED"]));
      expect(keys).not.toContain("DB_PERFORMANCE_INSIGHTS_ENABLED");
      expect(r.differences.find((d) => d.key === "DB_MULTI_AZ")!.changes[0]).toMatchObject({
        field: "multiAz",
        to: true,
      });
    },
  ],
  [
    "pg-bastion",
    {
      // The database's own group also admits a bastion and the office VPN: ebdb leaves what it did not
      // add; a replica made by hand under the name ebdb gives its second replica keeps that index.
      instance: { DeletionProtection: true },
      bastion: true,
      replicas: [{ name: "pg-bastion-replica-2" }],
    },
    (text) => {
      expect(text).toContain('DB_ACCESS_MODE="eb-sg"');
      expect(text).toContain('DB_READ_REPLICA_COUNT="1"');
    },
  ],
  [
    "maria-no-dbname",
    {
      // MariaDB on port 3307 made without DBName, and nothing in the environment naming a database.
      instance: { Engine: "mariadb", EngineVersion: "10.11.10", AllocatedStorage: 50, Port: 3307 },
    },
    (text) => {
      expect(text).toContain('DB_PORT="3307"');
      expect(text).toMatch(
        /# DB_NAME: the instance has no DBName and no EB property names its database.*\n# DB_NAME=""/,
      );
    },
  ],
  [
    "mysql-no-dbname",
    {
      // Made without DBName; the application's DB_NAME property names its database, and its
      // DATABASE_URL the endpoint (DB_HOST empty).
      instance: { Engine: "mysql", EngineVersion: "8.0.39", DBInstanceClass: "db.t3.medium" },
      props: { DB_NAME: "orders", DB_HOST: "", DATABASE_URL: "mysql://owner:x@HOST:3306/orders" },
    },
    (text) => {
      expect(text).toContain("(its property DATABASE_URL names the endpoint)");
      expect(text).toMatch(
        /# DB_NAME: the instance has no DBName: EB environment property DB_NAME\.\nDB_NAME="orders"/,
      );
    },
  ],
];

describe("ebdb adopt: databases of every kind (AWS fake)", () => {
  for (const [id, spec, check] of BY_HAND) {
    it(`made by hand: ${id}`, async () => {
      const cwd = await byHand(id, spec);
      const mutating = fake.countCalls({ mutating: true });
      const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
      expect(
        new Set(
          fake.calls
            .filter((c) => c.mutating)
            .slice(mutating)
            .map((c) => c.command),
        ),
      ).toEqual(new Set(["AddTagsToResource"]));
      const text = await readFile(join(cwd, "config.env"), "utf8");
      check(text, r);
      // Nothing to warn about either: the file describes the instance as it is.
      const file = join(cwd, "config.env");
      expect(resolveConfig(file, parseEnv(Buffer.from(text), {}).entries).problems).toEqual([]);
      const plan = await planIn(cwd);
      expect(brief(plan.refused)).toEqual([]);
      expect(brief(onlyEbdbsWiring(plan.changes))).toEqual([]);
      const again = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
      expect([again.config, again.tagged]).toEqual(["unchanged", []]);
    });
  }

  it("after an earlier `up` (its own APP_NAME and ENV_NAME, autoscaled replicas of another class, RDS Proxy, client security group, own parameter group): nothing to plan", async () => {
    ({ fake } = world());
    const desired = desiredOf({
      // Names of its own beside EB's: ebdb's secret and tags follow APP_NAME and ENV_NAME.
      appName: "shop",
      envName: "live",
      identifier: "shop-db",
      ebApplication: "my-app",
      ebEnvironment: "my-app-prod",
      dbName: "orders",
      instanceClass: "db.t3.medium",
      slowQueryMs: 250,
      rdsProxy: true,
      replicas: {
        enabled: true,
        count: 2,
        min: 2,
        max: 4,
        targetCpu: 60,
        scaleInCooldownSeconds: 600,
        scaleOutCooldownSeconds: 120,
        maxLagSeconds: 30,
        instanceClass: "db.t3.large",
      },
    });
    await up(fake, desired, { applyImmediately: true });
    fake.clock.advance(60 * 60_000);
    const cwd = await folder("after-up");
    const r = await adopt(ctxIn(cwd), { identifier: desired.identifier, clock: fake.clock });
    expect(r.differences).toEqual([]);
    expect(r.tagged).not.toContain("shop-db");
    const plan = await planIn(cwd);
    expect(brief(plan.changes)).toEqual([]);
    expect(brief(plan.refused)).toEqual([]);
    const config = await requireConfig(ctxIn(cwd));
    expect(config.replicas).toEqual(desired.config.replicas);
    expect([config.rdsProxy, config.accessMode, config.slowQueryMs]).toEqual([true, "client-sg", 250]);
    expect([config.appName, config.envName, config.names.secret]).toEqual([
      "shop",
      "live",
      "shop/live/db-password",
    ]);
  });

  it("already partly adopted (an adopt interrupted after its first tag): the next run finishes it, the plan is the same", async () => {
    const cwd = await byHand("part-db", {
      instance: { DeletionProtection: true },
      replicas: [{ name: "part-r-a" }, { name: "part-r-b" }],
    });
    fake.faults.crashAfter(1);
    const crashed = await adopt(ctxIn(cwd), { identifier: "part-db", clock: fake.clock }).catch(
      (x: unknown) => x,
    );
    expect(isSimulatedCrash(crashed)).toBe(true);
    fake.faults.reset();
    const r = await adopt(ctxIn(cwd), { identifier: "part-db", clock: fake.clock });
    expect([r.config, r.tagged]).toEqual(["unchanged", ["part-r-a", "part-r-b"]]);
    const tags = (name: string) => fake.state.region().rds.instances.get(name)!.tags;
    expect(tags("part-r-b")).toContainEqual({ Key: "ebdb:replica-index", Value: "2" });
    const plan = await planIn(cwd);
    expect([brief(onlyEbdbsWiring(plan.changes)), brief(plan.refused)]).toEqual([[], []]);
  });

  it("a database no EB environment uses: adopt finishes and says what to set; with it set, the plan has only ebdb's wiring", async () => {
    const cwd = await byHand("lone-db", { instance: { DeletionProtection: true } });
    await new ElasticBeanstalkClient({ region: "us-east-1" }).send(
      new UpdateEnvironmentCommand({
        EnvironmentName: "my-app-prod",
        OptionsToRemove: [{ Namespace: EB_NAMESPACES.env, OptionName: "DB_HOST" }],
      }),
    );
    await settle(fake, "us-east-1", "my-app-prod");
    const r = await adopt(ctxIn(cwd), { identifier: "lone-db", clock: fake.clock });
    expect(r.environment).toBeNull();
    expect(r.differences.map((d) => d.key)).toContain("DB_MULTI_AZ");
    expect(r.notes[0]).toContain("No Elastic Beanstalk environment in us-east-1 uses lone-db");
    expect(r.notes[0]).toContain("set EB_APPLICATION_NAME and EB_ENVIRONMENT_NAME in config.env");
    const file = join(cwd, "config.env");
    await writeFile(
      file,
      `${await readFile(file, "utf8")}EB_APPLICATION_NAME="my-app"\nEB_ENVIRONMENT_NAME="my-app-prod"\n`,
    );
    // Not knowing the environment, adopt left DB_ACCESS_MODE at its default: a client group of ebdb's.
    const plan = await planIn(cwd);
    expect([brief(onlyEbdbsWiring(plan.changes)), brief(plan.refused)]).toEqual([
      ["security-group lone-db-client-sg create ", "eb-environment my-app-prod update securityGroups"],
      [],
    ]);
  });

  it("an identifier given in capitals: RDS's own lower-case one", async () => {
    const cwd = await byHand("case-db", { instance: { DeletionProtection: true } });
    const r = await adopt(ctxIn(cwd), { identifier: "Case-DB", clock: fake.clock });
    expect(r.identifier).toBe("case-db");
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_INSTANCE_IDENTIFIER="case-db"');
  });

  it("after an earlier `up` of MySQL with slow statements from 250 ms (long_query_time): nothing to plan", async () => {
    ({ fake } = world());
    const desired = desiredOf({
      engine: "mysql",
      engineVersion: "8.0.39",
      instanceClass: "db.t3.medium",
      slowQueryMs: 250,
    });
    await up(fake, desired, { applyImmediately: true });
    fake.clock.advance(60 * 60_000);
    const cwd = await folder("after-up-mysql");
    await adopt(ctxIn(cwd), { identifier: desired.identifier, clock: fake.clock });
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_SLOW_QUERY_MS="250"');
    const plan = await planIn(cwd);
    expect([brief(plan.changes), brief(plan.refused)]).toEqual([[], []]);
  });

  it("coupled, Multi-AZ, DBDeletionPolicy Snapshot, replicas of two classes: adopt says the plan will resize one", async () => {
    ({ fake } = world({ dbSubnets: true }));
    const id = await addCoupledDatabase(fake, {
      app: "my-app",
      env: "my-app-prod",
      engineVersion: "16.4",
      password: "coupled-Pa55word",
      multiAz: true,
      deletionPolicy: "Snapshot",
    });
    const rds = new RDSClient({ region: "us-east-1" });
    for (const [name, cls] of [
      ["reader-b", "db.t3.medium"],
      ["reader-a", "db.t3.large"],
    ])
      await rds.send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: name,
          SourceDBInstanceIdentifier: id,
          DBInstanceClass: cls,
        }),
      );
    fake.clock.advance(30 * 60_000);
    const cwd = await folder("coupled-classes");
    const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    expect(r.environment).toMatchObject({ coupled: true, deletionPolicy: "Snapshot" });
    expect(r.notes.join(" ")).toContain("moves reader-b (db.t3.medium) to db.t3.large");
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_MULTI_AZ="true"');
    await decouple(ctxIn(cwd), { clock: fake.clock });
    // The one change left is the one adopt named.
    expect(brief((await planIn(cwd)).changes)).toEqual(["replica reader-b update instanceClass"]);
  });
});

describe("ebdb adopt: a master password RDS manages (ManageMasterUserPassword)", () => {
  it("plan refuses to set a password RDS would refuse; with DB_MASTER_PASSWORD up hands the password to ebdb", async () => {
    const id = "managed-pw";
    const cwd = await byHand(id, {
      instance: { ManageMasterUserPassword: true, MasterUserPassword: undefined, DeletionProtection: true },
    });
    const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    const text = await readFile(join(cwd, "config.env"), "utf8");
    expect(text).toMatch(
      /DB_MASTER_PASSWORD: never written here: RDS keeps it in arn:aws:secretsmanager:.*rds!db-/,
    );
    expect(r.notes.join(" ")).not.toContain("sets a new master password");
    const plan = await planIn(cwd);
    expect(brief(plan.refused)).toEqual(["secret my-app/prod/db-password create "]);
    expect(plan.refused[0].reason).toContain("RDS manages the master password");
    // up: the password step refuses too (a user error, before any password is set).
    const e = await up(fake, deriveDesired(await requireConfig(ctxIn(cwd)), "aws")).catch((x: unknown) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["RDS_MANAGES_PASSWORD", 2]);
    expect(fake.calls.filter((c) => c.command === "ModifyDBInstance" && c.input.MasterUserPassword)).toEqual(
      [],
    );

    // As RDS: no MasterUserPassword while it manages the password.
    const direct = await new RDSClient({ region: "us-east-1" })
      .send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, MasterUserPassword: "Another-pa55" }))
      .catch((x: Error) => x.name);
    expect(direct).toBe("InvalidParameterCombination");

    // DB_MASTER_PASSWORD given: up sets it with RDS's management off, and the application reaches the
    // instance with it; emptied again, the plan has nothing left to do to the instance or the secret.
    const file = join(cwd, "config.env");
    await writeFile(file, text.replace(/^DB_MASTER_PASSWORD=.*$/m, "DB_MASTER_PASSWORD='Handed-0ver-pw'"));
    const handed = await planIn(cwd);
    expect(handed.refused).toEqual([]);
    expect(handed.changes.find((c) => c.kind === "secret")!.reason).toContain("turning off RDS's management");
    await up(fake, deriveDesired(await requireConfig(ctxIn(cwd)), "aws"), { applyImmediately: true });
    const modify = fake.calls.filter(
      (c) => c.command === "ModifyDBInstance" && c.input.MasterUserPassword && !c.error,
    );
    expect(modify.map((c) => c.input.ManageMasterUserPassword)).toEqual([false]);
    const inst = fake.state.region().rds.instances.get(id)!;
    expect([inst.masterUserSecretArn, inst.masterPassword]).toEqual([undefined, "Handed-0ver-pw"]);
    fake.clock.advance(30 * 60_000);
    for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
      expect(v, family).toEqual({ instance: id, problems: [] });
    await writeFile(file, text);
    const after = await planIn(cwd);
    expect([brief(after.changes), brief(after.refused)]).toEqual([[], []]);
  });
});

describe("ebdb decouple: a coupled database changed outside EB", () => {
  it("storage grown, Performance Insights and log exports on, a replica and an office range added by hand: decouple lets go, the application reaches it throughout", async () => {
    ({ fake } = world({ dbSubnets: true }));
    const id = await addCoupledDatabase(fake, {
      app: "my-app",
      env: "my-app-prod",
      engine: "mysql",
      engineVersion: "8.0.39",
      instanceClass: "db.t3.medium",
      password: "coupled-Pa55word",
    });
    const rds = new RDSClient({ region: "us-east-1" });
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        BackupRetentionPeriod: 7,
        EnablePerformanceInsights: true,
        CloudwatchLogsExportConfiguration: { EnableLogTypes: ["error"] },
        ApplyImmediately: true,
      }),
    );
    fake.clock.advance(30 * 60_000);
    // What storage autoscaling does by itself: EB's DBAllocatedStorage (20) is now below the instance's.
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        StorageType: "gp3",
        AllocatedStorage: 30,
        MaxAllocatedStorage: 100,
        ApplyImmediately: true,
      }),
    );
    fake.clock.advance(120 * 60_000);
    // A replica on a parameter group of its own (RDS would otherwise give it the primary's).
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: "readers",
        DBParameterGroupFamily: "mysql8.0",
        Description: "the readers'",
      }),
    );
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: "my-reader",
        SourceDBInstanceIdentifier: id,
        DBParameterGroupName: "readers",
      }),
    );
    fake.clock.advance(30 * 60_000);
    const dbSg = fake.state.region().rds.instances.get(id)!.vpcSecurityGroupIds[0];
    await new EC2Client({ region: "us-east-1" }).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: dbSg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 3306, ToPort: 3306, IpRanges: [{ CidrIp: "10.9.0.0/16" }] },
        ],
      }),
    );

    const cwd = await folder("coupled-changed");
    const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    // What RDS did not copy to the replica made by hand is what the plan would change: adopt names it.
    expect(r.notes.join(" ")).toContain(
      "`plan` changes (online unless said) my-reader: Performance Insights on, log exports error, storage autoscaling to 100 GiB, parameter group default.mysql8.0 (a restart of the replica)",
    );
    const coupled = await planIn(cwd);
    expect(brief(coupled.changes)).toEqual([]);
    expect(new Set(coupled.refused.map((c) => c.resource))).toEqual(new Set(["my-reader"]));

    const report = await decouple(ctxIn(cwd), { clock: fake.clock });
    expect(report.steps.map((s) => s.outcome)).toEqual(["done", "done", "done", "done"]);
    const inst = fake.state.region().rds.instances.get(id)!;
    expect([inst.status, inst.deletionProtection, inst.allocatedStorage]).toEqual(["available", true, 30]);
    for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
      expect(v, family).toEqual({ instance: id, problems: [] });
    const after = await planIn(cwd);
    expect(brief(after.refused)).toEqual([]);
    expect(brief(after.changes).sort()).toEqual([
      "replica my-reader update logExports",
      "replica my-reader update parameterGroup",
      "replica my-reader update performanceInsights.enabled",
      "replica my-reader update storage.maxAllocatedGiB",
    ]);
    // The office range on EB's group stays.
    expect(
      fake.state
        .region()
        .ec2.securityGroups.get(dbSg)!
        .ingress.map((x) => x.cidr ?? x.sourceGroupId),
    ).toContain("10.9.0.0/16");
  });
});
