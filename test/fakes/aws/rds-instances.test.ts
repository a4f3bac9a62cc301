import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  paginateDescribeDBInstances,
  RebootDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES } from "./index.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

const MIN = 60_000;

async function status(id = "my-app-prod-db"): Promise<string | undefined> {
  const out = await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances?.[0]?.DBInstanceStatus;
}

describe("RDS instances", () => {
  it("goes creating → backing-up → available on the simulated clock, with endpoint and restorable time", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    const created = await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    expect(created.DBInstance?.DBInstanceStatus).toBe("creating");
    expect(created.DBInstance?.Endpoint).toBeUndefined();
    fake.clock.advance(RDS_TIMES.create);
    expect(await status()).toBe("backing-up");
    fake.clock.advance(RDS_TIMES.initialBackup);
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    const db = out.DBInstances?.[0];
    expect(db?.DBInstanceStatus).toBe("available");
    expect(db?.Endpoint?.Address).toMatch(/^my-app-prod-db\.c[a-z0-9]{11}\.us-east-1\.rds\.amazonaws\.com$/);
    expect(db?.Endpoint?.Port).toBe(5432);
    expect(db?.StorageEncrypted).toBe(true);
    expect(db?.KmsKeyId).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    expect(db?.DbiResourceId).toMatch(/^db-[A-Z0-9]{26}$/);
    expect(db?.DBInstanceArn).toBe("arn:aws:rds:us-east-1:123456789012:db:my-app-prod-db");
    expect(db?.VpcSecurityGroups?.[0]?.VpcSecurityGroupId).toBe(env.defaultSecurityGroupId);
    expect(db?.DBParameterGroups?.[0]).toEqual({
      DBParameterGroupName: "default.postgres16",
      ParameterApplyStatus: "in-sync",
    });
    fake.clock.advance(30 * MIN);
    const later = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    const latest = later.DBInstances?.[0]?.LatestRestorableTime?.getTime() ?? 0;
    expect(fake.clock.now().getTime() - latest).toBeGreaterThanOrEqual(5 * MIN);
    expect(fake.clock.now().getTime() - latest).toBeLessThan(6 * MIN);
  });

  it("concurrent sleepers share simulated time", async () => {
    const t0 = fake.clock.now().getTime();
    await Promise.all([fake.clock.sleep(30_000), fake.clock.sleep(30_000), fake.clock.sleep(10_000)]);
    expect(fake.clock.now().getTime() - t0).toBe(30_000);
  });

  it("a waiter polling with clock.sleep sees available after the expected time", async () => {
    const env = await rdsWorld(fake);
    await rdsClient().send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    const t0 = fake.clock.now().getTime();
    while ((await status()) !== "available") await fake.clock.sleep(15_000);
    const took = fake.clock.now().getTime() - t0;
    expect(took).toBeGreaterThanOrEqual(RDS_TIMES.create + RDS_TIMES.initialBackup);
    expect(took).toBeLessThan(RDS_TIMES.create + RDS_TIMES.initialBackup + 15_000);
  });

  it("pages DescribeDBInstances with a small page size", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    for (const id of ["db-a", "db-b", "db-c", "db-d", "db-e"]) {
      await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup, id)));
    }
    const first = await rds.send(new DescribeDBInstancesCommand({}));
    expect(first.DBInstances).toHaveLength(2);
    expect(first.Marker).toBeDefined();
    const ids: string[] = [];
    for await (const page of paginateDescribeDBInstances({ client: rds }, {})) {
      ids.push(...(page.DBInstances ?? []).map((d) => d.DBInstanceIdentifier ?? ""));
    }
    expect(ids).toEqual(["db-a", "db-b", "db-c", "db-d", "db-e"]);
    await expect(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
  });

  it("refuses an unknown instance with DBInstanceNotFoundFault", async () => {
    await expect(
      rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "nope" })),
    ).rejects.toMatchObject({
      name: "DBInstanceNotFoundFault",
      message: "DBInstance nope not found.",
      $fault: "client",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("applies a class change at the next maintenance window unless ApplyImmediately", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(
      new CreateDBInstanceCommand({
        ...instanceRequest(env.subnetGroup),
        PreferredMaintenanceWindow: "sun:05:00-sun:05:30",
      }),
    );
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    const out = await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: "my-app-prod-db",
        DBInstanceClass: "db.t3.medium",
      }),
    );
    expect(out.DBInstance?.PendingModifiedValues?.DBInstanceClass).toBe("db.t3.medium");
    expect(out.DBInstance?.DBInstanceClass).toBe("db.t3.small");
    // 2025-06-02 is a Monday; the window opens Sunday 2025-06-08 05:00 UTC.
    fake.clock.advanceTo(Date.parse("2025-06-08T04:59:00Z"));
    expect(fake.state.region().rds.instances.get("my-app-prod-db")?.instanceClass).toBe("db.t3.small");
    fake.clock.advanceTo(Date.parse("2025-06-08T05:01:00Z"));
    expect(await status()).toBe("modifying");
    fake.clock.advance(RDS_TIMES.classChange);
    const after = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    expect(after.DBInstances?.[0]?.DBInstanceClass).toBe("db.t3.medium");
    expect(after.DBInstances?.[0]?.PendingModifiedValues).toEqual({});
  });

  it("grows storage by at least 10%, never shrinks, then optimizes and blocks storage changes for 6 hours", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(
      new CreateDBInstanceCommand({ ...instanceRequest(env.subnetGroup), AllocatedStorage: 100 }),
    );
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    const id = "my-app-prod-db";
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          AllocatedStorage: 50,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/cannot be less than the current storage size/),
    });
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          AllocatedStorage: 105,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/at least 10%/),
    });
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        AllocatedStorage: 110,
        ApplyImmediately: true,
      }),
    );
    expect(await status()).toBe("modifying");
    fake.clock.advance(RDS_TIMES.storageModify);
    expect(await status()).toBe("storage-optimization");
    // Other settings may change during optimization; storage may not.
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: true }));
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          AllocatedStorage: 200,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    fake.clock.advance(RDS_TIMES.storageOptimization);
    expect(await status()).toBe("available");
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          AllocatedStorage: 200,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: expect.stringMatching(/6 hours/),
    });
    fake.clock.advance(RDS_TIMES.storageCooldown);
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        AllocatedStorage: 200,
        ApplyImmediately: true,
      }),
    );
    fake.clock.advance(RDS_TIMES.storageModify);
    expect(fake.state.region().rds.instances.get(id)?.allocatedStorage).toBe(200);
  });

  it("answers a modify that changes nothing with 'No modifications were requested'", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: "my-app-prod-db",
          DBInstanceClass: "db.t3.small",
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: "No modifications were requested",
    });
  });

  it("refuses to modify while the instance is still creating", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db", DeletionProtection: true }),
      ),
    ).rejects.toMatchObject({ name: "InvalidDBInstanceStateFault" });
  });

  it("deletes with a final snapshot, refuses while deletion protection is on", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    const id = "my-app-prod-db";
    await rds.send(
      new CreateDBInstanceCommand({ ...instanceRequest(env.subnetGroup), DeletionProtection: true }),
    );
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    await expect(
      rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: "Cannot delete protected DB Instance, please disable deletion protection and try again.",
    });
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false }));
    await expect(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id }))).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: expect.stringMatching(/FinalDBSnapshotIdentifier is required/),
    });
    const del = await rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, FinalDBSnapshotIdentifier: "final-1" }),
    );
    expect(del.DBInstance?.DBInstanceStatus).toBe("deleting");
    fake.clock.advance(RDS_TIMES.delete);
    await expect(status()).rejects.toMatchObject({ name: "DBInstanceNotFoundFault" });
    const snaps = fake.state.region().rds.snapshots;
    expect(snaps.get("final-1")?.type).toBe("manual");
    expect([...snaps.values()].filter((s) => s.type === "automated")).toHaveLength(0);
  });

  it("reboots and applies pending-reboot parameters", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    fake.state.region().rds.instances.get("my-app-prod-db")!.parameterApplyStatus = "pending-reboot";
    await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    expect(await status()).toBe("rebooting");
    fake.clock.advance(RDS_TIMES.reboot);
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    expect(out.DBInstances?.[0]?.DBParameterGroups?.[0]?.ParameterApplyStatus).toBe("in-sync");
  });
});
