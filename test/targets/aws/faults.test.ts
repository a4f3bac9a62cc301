import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { expectConverged } from "./converged.js";
import { desiredOf, planOf, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

describe("AWS's transient failures", () => {
  it("survives throttling of every service, beyond the SDK's own retries", async () => {
    ({ fake } = world());
    const desired = desiredOf({ replicas: { enabled: true, count: 1 } });
    // More throttles in a row than the SDK's 5 attempts: ebdb's own backoff takes over.
    fake.faults.throttle({ command: "DescribeDBInstances", times: 7 });
    fake.faults.throttle({ command: "CreateDBInstance", times: 6 });
    fake.faults.throttle({ service: "ec2", times: 6 });
    fake.faults.throttle({ command: "UpdateEnvironment", times: 6 });
    fake.faults.throttle({ command: "PutMetricAlarm", times: 3 });
    await up(fake, desired);
    expectConverged(fake, desired);
    expect(
      fake.calls.filter((c) => c.error === "Throttling" || c.error === "RequestLimitExceeded").length,
    ).toBeGreaterThanOrEqual(28);
  });

  it("waits and tries again when RDS says the instance is busy (InvalidDBInstanceState)", async () => {
    ({ fake } = world());
    await up(fake, desiredOf());
    fake.faults.invalidDBInstanceState({ times: 2 });
    const bigger = desiredOf({ storage: { allocatedGiB: 30 } });
    await up(fake, bigger);
    expect(fake.state.region().rds.instances.get("my-app-prod-db")!.allocatedStorage).toBe(30);
    expect(fake.calls.filter((c) => c.error === "InvalidDBInstanceStateFault")).toHaveLength(2);
  });

  it("does not duplicate what it made when AWS does not show it yet (eventual consistency)", async () => {
    ({ fake } = world());
    const desired = desiredOf({ replicas: { enabled: true, count: 1 } });
    fake.faults.hideAfterCreate({ calls: 2 });
    await up(fake, desired);
    fake.faults.reset();
    expectConverged(fake, desired);
    fake.resetCalls();
    expect((await up(fake, desired)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("recovers from a create whose resource is still invisible when the next run starts", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    fake.faults.hideAfterCreate({
      ms: 60_000,
      kinds: ["SecurityGroup", "Secret", "DBInstance", "DBParameterGroup", "DBSubnetGroup"],
    });
    fake.faults.crashAfter(8);
    await up(fake, desired).catch(() => undefined);
    fake.faults.crashAfter(Number.MAX_SAFE_INTEGER);
    const io = new RecordingIoHost();
    await up(fake, desired, { io });
    fake.faults.reset();
    // The rerun did try to create what it could not see, and AWS said it exists.
    const dupes = fake.calls
      .filter((c) => /Duplicate|AlreadyExists|ResourceExists/.test(c.error ?? ""))
      .map((c) => c.command);
    expect(dupes.length).toBeGreaterThan(0);
    expectConverged(fake, desired);
    const { plan } = await planOf(fake, desired);
    expect(plan.changes).toEqual([]);
  });
});
