import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES } from "./index.js";
import { credentials, instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
let subnetGroup: string;
const MIN = 60_000;
const ID = "my-app-prod-db";
beforeEach(async () => {
  fake = installFakeAws();
  subnetGroup = (await rdsWorld(fake)).subnetGroup;
});
afterEach(() => fake.uninstall());

async function primary(over: Record<string, unknown> = {}) {
  await rdsClient().send(new CreateDBInstanceCommand({ ...instanceRequest(subnetGroup), ...over }));
  fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
}

const replica = (id: string, over: Record<string, unknown> = {}) =>
  rdsClient().send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: id,
      SourceDBInstanceIdentifier: ID,
      ...over,
    }),
  );

describe("read replicas", () => {
  it("needs backups on the source", async () => {
    await primary({ BackupRetentionPeriod: 0 });
    await expect(replica("r1")).rejects.toMatchObject({
      name: "InvalidDBInstanceStateFault",
      message: expect.stringMatching(/^Automated backups are not enabled for this database instance/),
    });
  });

  it("follows the source's encryption and refuses an encrypted replica of an unencrypted source", async () => {
    await primary({ StorageEncrypted: false });
    await expect(replica("r1", { KmsKeyId: "alias/aws/rds" })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: "Cannot create an encrypted read replica from an unencrypted DB instance.",
    });
    const out = await replica("r2");
    expect(out.DBInstance?.StorageEncrypted).toBe(false);
  });

  it("creates replicas that become available, in the source's subnet and parameter groups, with lag as a metric", async () => {
    await primary({ DBParameterGroupName: undefined });
    const r1 = await replica("r1", { DBInstanceClass: "db.t3.medium" });
    expect(r1.DBInstance).toMatchObject({
      DBInstanceStatus: "creating",
      ReadReplicaSourceDBInstanceIdentifier: ID,
      StorageEncrypted: true,
    });
    fake.clock.advance(RDS_TIMES.replicaCreate);
    const src = await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ID }));
    expect(src.DBInstances?.[0]?.ReadReplicaDBInstanceIdentifiers).toEqual(["r1"]);
    const rep = (await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "r1" })))
      .DBInstances?.[0];
    expect(rep).toMatchObject({
      DBInstanceStatus: "available",
      DBInstanceClass: "db.t3.medium",
      DBSubnetGroup: { DBSubnetGroupName: subnetGroup },
      StatusInfos: [{ StatusType: "read replication", Status: "replicating", Normal: true }],
    });
    fake.setReplicaLag("r1", 42);
    const cw = new CloudWatchClient({ region: "us-east-1", credentials });
    const now = fake.clock.now();
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 10 * MIN),
        EndTime: now,
        MetricDataQueries: [
          {
            Id: "lag",
            MetricStat: {
              Metric: {
                Namespace: "AWS/RDS",
                MetricName: "ReplicaLag",
                Dimensions: [{ Name: "DBInstanceIdentifier", Value: "r1" }],
              },
              Period: 60,
              Stat: "Maximum",
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]?.Values).toEqual([42]);
  });

  it("allows at most 15 replicas of one source", async () => {
    await primary();
    for (let i = 1; i <= 15; i++) await replica(`r${i}`);
    await expect(replica("r16")).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: expect.stringMatching(/15 read replicas/),
    });
  });

  it("keeps backup retention above 0 while replicas exist; promotes a replica to a standalone instance", async () => {
    await primary();
    await replica("r1");
    fake.clock.advance(RDS_TIMES.replicaCreate);
    await expect(
      rdsClient().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: ID,
          BackupRetentionPeriod: 0,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    await rdsClient().send(
      new PromoteReadReplicaCommand({ DBInstanceIdentifier: "r1", BackupRetentionPeriod: 3 }),
    );
    fake.clock.advance(RDS_TIMES.promote);
    const r1 = (await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "r1" })))
      .DBInstances?.[0];
    expect(r1?.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    expect(r1?.BackupRetentionPeriod).toBe(3);
  });
});

describe("point-in-time restore", () => {
  it("restores within the restorable window only, into a new instance", async () => {
    await primary();
    fake.clock.advance(60 * MIN);
    const win = await rdsClient().send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: ID }),
    );
    const { EarliestTime, LatestTime } = win.DBInstanceAutomatedBackups?.[0]?.RestoreWindow ?? {};
    expect(LatestTime?.getTime()).toBe(fake.clock.now().getTime() - 5 * MIN);
    expect(EarliestTime?.getTime()).toBeLessThan(LatestTime?.getTime() ?? 0);
    const restore = (over: Record<string, unknown>) =>
      rdsClient().send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: ID,
          TargetDBInstanceIdentifier: "restored",
          DBSubnetGroupName: subnetGroup,
          ...over,
        }),
      );
    await expect(
      restore({ RestoreTime: new Date(fake.clock.now().getTime() - 1 * MIN) }),
    ).rejects.toMatchObject({ name: "InvalidRestoreFault" });
    await expect(
      restore({ RestoreTime: new Date((EarliestTime?.getTime() ?? 0) - 1) }),
    ).rejects.toMatchObject({ name: "InvalidRestoreFault" });
    await expect(restore({ RestoreTime: new Date(), UseLatestRestorableTime: true })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    const out = await restore({ UseLatestRestorableTime: true });
    expect(out.DBInstance).toMatchObject({
      DBInstanceStatus: "creating",
      StorageEncrypted: true,
      Engine: "postgres",
    });
    fake.clock.advance(RDS_TIMES.restore + RDS_TIMES.initialBackup);
    const restored = (
      await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "restored" }))
    ).DBInstances?.[0];
    expect(restored?.DBInstanceStatus).toBe("available");
    expect(restored?.DbiResourceId).not.toBe(fake.state.region().rds.instances.get(ID)?.resourceId);
  });
});
