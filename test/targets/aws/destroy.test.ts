import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateDBInstanceCommand, CreateDBSnapshotCommand } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { EB_NAMESPACES, environmentProperties, type FakeAws } from "../../fakes/aws/index.js";
import { credentials, rdsClient } from "../../fakes/aws/test-helpers.js";
import { desiredOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

describe("destroy", () => {
  it("refuses while deletion protection is on, and says how to turn it off", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    fake.resetCalls();
    const e = await targetOn(fake)
      .destroy(desired, { skipFinalSnapshot: false }, new RecordingIoHost())
      .catch((x) => x);
    expect(e).toMatchObject({ code: "DELETION_PROTECTED", fault: "user" });
    expect(e.hint).toContain("DB_DELETION_PROTECTION=false");
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("removes the EB wiring, the replicas, then the primary after a final snapshot, and leaves the secret recoverable", async () => {
    const w = world();
    fake = w.fake;
    const desired = desiredOf({
      deletionProtection: false,
      replicas: { enabled: true, count: 2 },
      alarmEmail: "ops@example.com",
    });
    await up(fake, desired);
    const password = fake.state.region().rds.instances.get("my-app-prod-db")!.masterPassword;
    const io = new RecordingIoHost();
    await targetOn(fake, io).destroy(desired, { skipFinalSnapshot: false }, io);
    const r = fake.state.region();
    expect([...r.rds.instances.keys()]).toEqual([]);
    const finals = [...r.rds.snapshots.values()].filter((s) => s.type === "manual");
    expect(finals.map((s) => s.id)).toEqual([expect.stringMatching(/^my-app-prod-db-final-\d{12}$/)]);
    const env = [...r.eb.environments.values()][0];
    const props = environmentProperties(env);
    // Every variable ebdb set is gone; the application's own stay.
    expect(props).toEqual({ NODE_ENV: "production" });
    expect(environmentProperties(env, EB_NAMESPACES.secrets)).toEqual({});
    expect(env.options.get(`${EB_NAMESPACES.launch}|SecurityGroups`)).toBe(w.env.instanceSecurityGroupId);
    expect(fake.state.iam.roles.get(w.env.roleName)!.policies.size).toBe(0);
    expect(
      [...r.ec2.securityGroups.values()].filter((g) => g.GroupName.startsWith("my-app-prod-db")),
    ).toEqual([]);
    expect(r.rds.subnetGroups.size).toBe(0);
    expect([...r.rds.parameterGroups.values()].filter((g) => !g.isDefault)).toEqual([]);
    expect(r.cloudwatch.alarms.size).toBe(0);
    expect(r.sns.topics.size).toBe(0);
    // The secrets (RDS's JSON and the three of EB's variables) stay recoverable for 30 days.
    expect(r.secrets.size).toBe(4);
    for (const secret of r.secrets.values()) expect(secret.deletedAt, secret.name).toBeDefined();
    // Deleting the replicas came before deleting the primary.
    const deletes = fake.calls
      .filter((c) => c.command === "DeleteDBInstance")
      .map((c) => c.input.DBInstanceIdentifier);
    expect(deletes.at(-1)).toBe("my-app-prod-db");

    // A later up restores the secrets and keeps the password; the application sees it again.
    await up(fake, desired);
    expect(fake.state.region().rds.instances.get("my-app-prod-db")!.masterPassword).toBe(password);
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe(password);
  });

  it("skips the final snapshot when asked, and can run again after an interruption", async () => {
    ({ fake } = world());
    const desired = desiredOf({ deletionProtection: false });
    await up(fake, desired);
    fake.faults.crashAfter(3);
    await targetOn(fake)
      .destroy(desired, { skipFinalSnapshot: true }, new RecordingIoHost())
      .catch(() => undefined);
    fake.faults.reset();
    await targetOn(fake).destroy(desired, { skipFinalSnapshot: true }, new RecordingIoHost());
    const r = fake.state.region();
    expect(r.rds.instances.size).toBe(0);
    expect([...r.rds.snapshots.values()].filter((s) => s.type === "manual")).toEqual([]);
  });
});

describe("destroy checks every precondition before its first change", () => {
  const rds = () => rdsClient();
  const ec2 = () => new EC2Client({ region: "us-east-1", credentials });

  /** A database with one replica and one restored instance, deletion protection off everywhere. */
  async function withRestored() {
    ({ fake } = world());
    const desired = desiredOf({ deletionProtection: false, replicas: { enabled: true, count: 1 } });
    await up(fake, desired);
    fake.clock.advance(10 * 60_000);
    const io = new RecordingIoHost();
    const restored = await targetOn(fake, io).restore(desired, { kind: "latest" }, "my-app-prod-db-copy", io);
    return { desired, restored: restored.name, r: fake.state.region() };
  }

  async function destroyError(desired: ReturnType<typeof desiredOf>, skipFinalSnapshot = false) {
    fake.resetCalls();
    const e = await targetOn(fake)
      .destroy(desired, { skipFinalSnapshot }, new RecordingIoHost())
      .then(
        () => null,
        (x) => x,
      );
    // Nothing changed: not one mutating call, not even a failed one.
    expect(fake.calls.filter((c) => c.mutating).map((c) => `${c.service}:${c.command}`)).toEqual([]);
    return e;
  }

  it("refuses a protected restored instance, naming it, before touching EB, IAM or the replicas", async () => {
    const { desired, restored, r } = await withRestored();
    r.rds.instances.get(restored)!.deletionProtection = true;
    const e = await destroyError(desired);
    expect(e).toMatchObject({ code: "DELETION_PROTECTED", fault: "user" });
    expect(e.message).toContain(`${restored} (restored instance) has deletion protection on`);
    expect(e.hint).toContain(
      `aws rds modify-db-instance --db-instance-identifier ${restored} --no-deletion-protection`,
    );
    expect(e.details.blockers).toHaveLength(1);
    expect([...r.rds.instances.keys()].sort()).toEqual(
      ["my-app-prod-db", "my-app-prod-db-copy", "my-app-prod-db-replica-1"].sort(),
    );
  });

  it("names every blocker at once: protection on each instance, a final snapshot RDS cannot take, foreign users of its groups", async () => {
    const { desired, restored, r } = await withRestored();
    r.rds.instances.get("my-app-prod-db")!.deletionProtection = true;
    r.rds.instances.get("my-app-prod-db-replica-1")!.deletionProtection = true;
    r.rds.instances.get(restored)!.status = "creating";
    const db = r.rds.instances.get("my-app-prod-db")!;
    // Another team's instance in ebdb's subnet and parameter groups, behind its security group.
    await rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "reporting",
        Engine: "postgres",
        EngineVersion: "16.4",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "report",
        MasterUserPassword: "Sup3rSecret-pass",
        DBSubnetGroupName: db.subnetGroupName,
        DBParameterGroupName: db.parameterGroupName,
        VpcSecurityGroupIds: db.vpcSecurityGroupIds,
      }),
    );
    // A group outside ebdb that lets the application's client group in.
    const client = [...r.ec2.securityGroups.values()].find(
      (g) => g.GroupName === "my-app-prod-db-client-sg",
    )!;
    const other = await ec2().send(
      new CreateSecurityGroupCommand({ GroupName: "cache", Description: "redis", VpcId: client.VpcId }),
    );
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: other.GroupId,
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: 6379,
            ToPort: 6379,
            UserIdGroupPairs: [{ GroupId: client.GroupId }],
          },
        ],
      }),
    );

    const e = await destroyError(desired);
    expect(e).toMatchObject({ code: "DESTROY_BLOCKED", fault: "user" });
    const lines = e.details.blockers.map((b: { resource: string }) => b.resource);
    expect(lines.sort()).toEqual(
      [
        "my-app-prod-db",
        "my-app-prod-db-replica-1",
        restored,
        "reporting",
        `cache (${other.GroupId})`,
      ].sort(),
    );
    expect(e.message).toMatch(/my-app-prod-db \(primary\) has deletion protection on/);
    expect(e.message).toMatch(/my-app-prod-db-replica-1 \(replica\) has deletion protection on/);
    expect(e.message).toMatch(
      new RegExp(`${restored} \\(restored instance\\) is creating: RDS cannot take its final snapshot`),
    );
    expect(e.message).toMatch(
      /reporting \(not made by ebdb\) uses its subnet group my-app-prod-db-subnets, parameter group/,
    );
    expect(e.message).toMatch(
      /security group cache \(sg-\w+, not made by ebdb\) allows traffic from my-app-prod-db-client-sg/,
    );

    // --skip-final-snapshot removes the one blocker it can, and only that one.
    const skipped = await destroyError(desired, true);
    expect(skipped.details.blockers.map((b: { resource: string }) => b.resource)).not.toContain(restored);
    expect(skipped.details.blockers).toHaveLength(4);
  });

  it("picks a final snapshot name that is free rather than failing after deleting the replicas", async () => {
    const { desired, r } = await withRestored();
    // A snapshot already holds the name the primary's final snapshot would get in the minute destroy runs.
    const at = Math.ceil((fake.clock.now().getTime() + 10 * 60_000) / 60_000) * 60_000;
    const minute = new Date(at).toISOString().slice(0, 16).replace(/[-:T]/g, "");
    const taken = `my-app-prod-db-final-${minute}`;
    await rds().send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: "my-app-prod-db", DBSnapshotIdentifier: taken }),
    );
    fake.clock.advanceTo(at);
    await targetOn(fake).destroy(desired, { skipFinalSnapshot: false }, new RecordingIoHost());
    expect(r.rds.instances.size).toBe(0);
    expect(fake.calls.filter((c) => c.error && c.mutating)).toEqual([]);
    const finals = [...r.rds.snapshots.keys()].filter((k) => k.startsWith("my-app-prod-db-final-")).sort();
    expect(finals).toEqual([taken, `${taken}-2`]);
  });
});
