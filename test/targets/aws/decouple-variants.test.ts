import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthorizeSecurityGroupIngressCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { decouple } from "../../../src/api/decouple.js";
import { appDatabases } from "../../fakes/aws/eb-app-db.js";
import { addCoupledDatabase } from "../../fakes/aws/eb-coupled-seed.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { brief, planIn } from "./by-hand-world.js";
import { ctxIn } from "./coupled-world.js";
import { world } from "./harness.js";

// Coupled databases EB made and someone changed since: adopt says what the plan would change, and
// decouple lets go of them with the application reaching them throughout.

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-decouple-variants-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function folder(name: string): Promise<string> {
  const cwd = join(dir, name);
  await mkdir(cwd, { recursive: true });
  return cwd;
}

describe("ebdb adopt and decouple: coupled databases changed by hand", () => {
  it("kept when its environment was terminated, and a new one of the same name uses another database: not taken for its environment", async () => {
    ({ fake } = world({ dbSubnets: true }));
    const id = await addCoupledDatabase(fake, {
      app: "my-app",
      env: "my-app-prod",
      engineVersion: "16.4",
      password: "coupled-Pa55word",
      deletionPolicy: "Retain",
    });
    // The environment as a new one of the same name sees it (the fake has no terminate): another id, no
    // database of its own in EB's hands, its DB_HOST naming another database.
    const env = [...fake.state.region().eb.environments.values()].find((e) => e.name === "my-app-prod")!;
    env.id = "e-newenv0001";
    env.options.set("aws:rds:dbinstance|HasCoupledDatabase", "false");
    env.options.set("aws:elasticbeanstalk:application:environment|DB_HOST", "other-db.example.internal");
    const cwd = await folder("rebuilt-env");
    const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    expect(r.environment).toBeNull();
    expect(r.notes[0]).toContain(`No Elastic Beanstalk environment in us-east-1 uses ${id}`);
  });

  it("coupled, Multi-AZ, DBDeletionPolicy Snapshot, replicas of two classes: config.env has the class most have, and adopt says the plan resizes the other", async () => {
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
      ["reader-c", "db.t3.medium"],
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
    expect(r.notes.join(" ")).toContain("moves reader-a (db.t3.large) to db.t3.medium");
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_MULTI_AZ="true"');
    await decouple(ctxIn(cwd), { clock: fake.clock });
    // The one change left is the one adopt named.
    expect(brief((await planIn(fake, cwd)).changes)).toEqual(["replica reader-a update instanceClass"]);
  });

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
    const coupled = await planIn(fake, cwd);
    expect(brief(coupled.changes)).toEqual([]);
    expect(new Set(coupled.refused.map((c) => c.resource))).toEqual(new Set(["my-reader"]));

    const report = await decouple(ctxIn(cwd), { clock: fake.clock });
    expect(report.steps.map((s) => s.outcome)).toEqual(["done", "done", "done", "done"]);
    const inst = fake.state.region().rds.instances.get(id)!;
    expect([inst.status, inst.deletionProtection, inst.allocatedStorage]).toEqual(["available", true, 30]);
    for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
      expect(v, family).toEqual({ instance: id, problems: [] });
    const after = await planIn(fake, cwd);
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
