import { afterEach, describe, expect, it } from "vitest";
import { isSimulatedCrash, type FakeAws } from "../../fakes/aws/index.js";
import { expectConverged } from "./converged.js";
import { desiredOf, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const desired = desiredOf({ replicas: { enabled: true, count: 1 }, alarmEmail: "ops@example.com" });

/** Mutating calls of an uninterrupted `up` from nothing. */
async function stepsOfCleanRun(): Promise<number> {
  ({ fake } = world());
  await up(fake, desired);
  const n = fake.countCalls({ mutating: true });
  fake.uninstall();
  return n;
}

describe("up interrupted after each of its mutating steps, then run again", () => {
  it("converges with no duplicate, whichever step it stopped after", async () => {
    const steps = await stepsOfCleanRun();
    expect(steps).toBeGreaterThan(15);
    for (let n = 1; n <= steps; n++) {
      ({ fake } = world());
      fake.faults.crashAfter(n);
      const crash = await up(fake, desired).then(
        () => null,
        (e) => e,
      );
      expect(isSimulatedCrash(crash), `run interrupted after step ${n} should crash`).toBe(true);
      fake.faults.reset();
      await up(fake, desired).catch((e) => {
        throw new Error(`rerun after a crash at step ${n} (${crash.message}): ${e.message}`);
      });
      expectConverged(fake, desired);
      fake.resetCalls();
      const third = await up(fake, desired);
      expect(third.changes, `after the crash at step ${n}, a third up has nothing to do`).toEqual([]);
      expect(fake.countCalls({ mutating: true })).toBe(0);
      fake.uninstall();
    }
  }, 120_000);
});

describe("a secret lost while the database lives", () => {
  it("gets a new password set on the instance first, so an interruption never leaves them apart", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    const r = fake.state.region();
    const old = r.rds.instances.get("my-app-prod-db")!.masterPassword;
    r.secrets.clear();
    fake.resetCalls();
    fake.faults.crashAfter(1);
    const crash = await up(fake, desired).catch((e) => e);
    expect(isSimulatedCrash(crash)).toBe(true);
    expect(fake.calls.filter((c) => c.mutating).map((c) => c.command)).toEqual(["ModifyDBInstance"]);
    fake.faults.reset();
    await up(fake, desired);
    expectConverged(fake, desired);
    expect(r.rds.instances.get("my-app-prod-db")!.masterPassword).not.toBe(old);
  });
});
