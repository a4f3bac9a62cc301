import {
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES } from "./index.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

const ID = "my-app-prod-db";
const HOURS = 60 * 60_000;

async function describe1() {
  const out = await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ID }));
  return out.DBInstances![0];
}

async function created(over: Record<string, unknown>) {
  const { subnetGroup } = await rdsWorld(fake);
  await rdsClient().send(new CreateDBInstanceCommand({ ...instanceRequest(subnetGroup), ...over }));
  fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
}

describe("storage autoscaling (outside the API)", () => {
  it("grows by the greatest of 10 GiB, 10% and the predicted growth, up to the maximum, then optimizes", async () => {
    await created({ AllocatedStorage: 50, MaxAllocatedStorage: 100 });
    expect(fake.autoscaleStorage(ID)).toBe(60);
    expect((await describe1()).DBInstanceStatus).toBe("storage-optimization");
    // Not while optimizing, nor within 6 hours of the last storage change.
    expect(() => fake.autoscaleStorage(ID)).toThrow(/storage-optimization/);
    fake.clock.advance(RDS_TIMES.storageOptimization);
    expect(() => fake.autoscaleStorage(ID)).toThrow(/6 hours/);
    fake.clock.advance(7 * HOURS);
    expect(fake.autoscaleStorage(ID, { predictedGrowthGiB: 25 })).toBe(85);
    fake.clock.advance(7 * HOURS);
    expect(fake.autoscaleStorage(ID)).toBe(95);
    fake.clock.advance(7 * HOURS);
    expect(fake.autoscaleStorage(ID)).toBe(100);
    fake.clock.advance(7 * HOURS);
    expect(() => fake.autoscaleStorage(ID)).toThrow(/maximum of 100/);
  });

  it("is off without MaxAllocatedStorage", async () => {
    await created({ AllocatedStorage: 50 });
    expect(() => fake.autoscaleStorage(ID)).toThrow(/autoscaling off/);
  });

  it("takes a gp3 volume past 400 GiB to RDS's striped baseline, below which RDS refuses IOPS", async () => {
    await created({ AllocatedStorage: 380, MaxAllocatedStorage: 1000 });
    expect(await describe1()).toMatchObject({ Iops: 3000, StorageThroughput: 125 });
    expect(fake.autoscaleStorage(ID)).toBe(418);
    expect(await describe1()).toMatchObject({ AllocatedStorage: 418, Iops: 12000, StorageThroughput: 500 });
    fake.clock.advance(7 * HOURS);
    // The small volume's baseline is no longer a valid value (AWS: "Invalid iops value ...").
    await expect(
      rdsClient().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: ID,
          Iops: 3000,
          StorageThroughput: 125,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: "Invalid iops value for engine name postgres and storage type gp3: 3000",
    });
  });
});
