import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { RDS_TIMES } from "../../fakes/aws/index.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

// RDS gp3 for PostgreSQL (RDS User Guide, "gp3 storage"): below 400 GiB the volume has a fixed
// baseline of 3,000 IOPS and 125 MiB/s (setting either is refused); from 400 GiB RDS stripes the
// volume and the baseline is 12,000 IOPS and 500 MiB/s (less is refused as an invalid value).

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const ID = "my-app-prod-db";
const SEVEN_HOURS = 7 * 60 * 60_000;

function modifyCalls() {
  return fake.calls.filter((c) => c.command === "ModifyDBInstance").map((c) => c.input);
}

/** What `up` changes on a converged database: nothing, and nothing AWS refuses. */
async function expectUpChangesNothing(desired: ReturnType<typeof desiredOf>) {
  fake.resetCalls();
  const failed = await up(fake, desired).then(
    () => null,
    (e: Error) => e.message,
  );
  expect(fake.calls.filter((c) => c.error).map((c) => `${c.command}: ${c.error}`)).toEqual([]);
  expect(failed).toBeNull();
  expect(fake.countCalls({ mutating: true })).toBe(0);
  const { plan } = await planOf(fake, desired);
  expect(plan.changes.map((c) => `${c.resource} ${c.field}`)).toEqual([]);
  expect(plan.refused).toEqual([]);
}

describe("gp3 storage past 400 GiB", () => {
  it("after storage autoscaling crosses 400 GiB, up changes nothing (12,000 IOPS / 500 MiB/s are RDS's own)", async () => {
    ({ fake } = world());
    const desired = desiredOf({ storage: { allocatedGiB: 380, maxAllocatedGiB: 1000 } });
    await up(fake, desired);
    expect(fake.autoscaleStorage(ID)).toBe(418);
    fake.clock.advance(SEVEN_HOURS);
    const db = fake.state.region().rds.instances.get(ID)!;
    expect(db).toMatchObject({ allocatedStorage: 418, iops: undefined, storageThroughput: undefined });
    await expectUpChangesNothing(desired);
  });

  it("after `scale --storage 500`, a later up changes nothing", async () => {
    ({ fake } = world());
    const desired = desiredOf({ storage: { allocatedGiB: 100, maxAllocatedGiB: 1000 } });
    await up(fake, desired);
    await targetOn(fake).scale!(desired, { storageGiB: 500, applyImmediately: true }, new RecordingIoHost());
    fake.clock.advance(SEVEN_HOURS);
    await expectUpChangesNothing(desired);
  });

  it("growing the configured size past 400 GiB sends only the size; RDS raises the baseline itself", async () => {
    ({ fake } = world());
    await up(fake, desiredOf({ storage: { allocatedGiB: 100, maxAllocatedGiB: 1000 } }));
    const bigger = desiredOf({ storage: { allocatedGiB: 500, maxAllocatedGiB: 1000 } });
    const { plan } = await planOf(fake, bigger);
    const storage = plan.changes.filter((c) => c.field?.startsWith("storage."));
    expect(storage.map((c) => c.field)).toEqual(["storage.allocatedGiB"]);
    expect(storage[0].reason).toMatch(
      /raises its baseline from 3,000 to 12,000 IOPS and from 125 to 500 MiB\/s/,
    );
    fake.resetCalls();
    await up(fake, bigger);
    const sent = modifyCalls();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ AllocatedStorage: 500 });
    expect(sent[0]).not.toHaveProperty("Iops");
    expect(sent[0]).not.toHaveProperty("StorageThroughput");
    fake.clock.advance(SEVEN_HOURS);
    await expectUpChangesNothing(bigger);
  });

  it("IOPS the user set are sent; once unset again, RDS's baseline for the actual size is restored", async () => {
    ({ fake } = world());
    const base = { allocatedGiB: 500, maxAllocatedGiB: 1000 };
    await up(fake, desiredOf({ storage: base }));
    fake.clock.advance(SEVEN_HOURS);
    const provisioned = desiredOf({ storage: { ...base, iops: 16000, throughputMiBps: 1000 } });
    fake.resetCalls();
    await up(fake, provisioned);
    expect(modifyCalls()).toEqual([expect.objectContaining({ Iops: 16000, StorageThroughput: 1000 })]);
    fake.clock.advance(SEVEN_HOURS);
    await expectUpChangesNothing(provisioned);

    // The settings removed from the configuration: back to what RDS gives 500 GiB.
    fake.resetCalls();
    await up(fake, desiredOf({ storage: base }));
    expect(modifyCalls()).toEqual([expect.objectContaining({ Iops: 12000, StorageThroughput: 500 })]);
    expect(fake.calls.filter((c) => c.error)).toEqual([]);
    fake.clock.advance(RDS_TIMES.storageModify);
    expect(fake.state.region().rds.instances.get(ID)).toMatchObject({ iops: 12000, storageThroughput: 500 });
  });
});
