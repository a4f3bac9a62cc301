import { describe, expect, it } from "vitest";
import { stepPolicy } from "../../src/autoscale/policy-step.js";
import { targetTrackingPolicy } from "../../src/autoscale/policy-target-tracking.js";
import type { Decision } from "../../src/autoscale/types.js";
import { CONFIG, history, input, MIN, NOW, replicas } from "./helpers.js";

const removed = (d: Decision) => (d.action === "remove" ? d.remove : []);

describe("target tracking (AWS's, the baseline)", () => {
  it("scales out after 3 consecutive minutes above the target, to ceil(capacity x cpu / target)", () => {
    const two = targetTrackingPolicy(input({ replicas: replicas(2), history: history([50, 90, 90], 2) }));
    expect(two.action).toBe("none");
    // ceil(2 x 90 / 70) = 3.
    const three = targetTrackingPolicy(input({ replicas: replicas(2), history: history([90, 90, 90], 2) }));
    expect(three).toMatchObject({ action: "add", count: 1 });
    // At the ceiling it can see no more than 100/70 of its capacity: ceil(4 x 100 / 70) = 6.
    const capped = targetTrackingPolicy(
      input({ replicas: replicas(4), history: history([100, 100, 100], 4) }),
    );
    expect(capped).toMatchObject({ action: "add", count: 2 });
  });

  it("counts replicas being created in the capacity a scale-out compares with", () => {
    const d = targetTrackingPolicy(
      input({ replicas: replicas(2, { creating: 1 }), history: history([90, 90, 90], 2) }),
    );
    expect(d.action).toBe("none");
  });

  it("scales in after 15 consecutive minutes below 90% of the target, to the ratio, within the minimum", () => {
    // ceil(4 x 30 / 70) = 2.
    const d = targetTrackingPolicy(input({ replicas: replicas(4), history: history(Array(15).fill(30), 4) }));
    expect(removed(d)).toEqual(["r4", "r3"]);
    const fourteen = targetTrackingPolicy(
      input({ replicas: replicas(4), history: history([64, ...Array(14).fill(30)], 4) }),
    );
    expect(fourteen.action).toBe("none");
    const floor = targetTrackingPolicy(
      input({
        config: { ...CONFIG, minCapacity: 3 },
        replicas: replicas(4),
        history: history(Array(15).fill(5), 4),
      }),
    );
    expect(removed(floor)).toEqual(["r4"]);
  });

  it("blocks a scale-in during the scale-in cooldown, but never a scale-out", () => {
    const idle = { replicas: replicas(4), history: history(Array(15).fill(30), 4) };
    const d = targetTrackingPolicy(input({ ...idle, lastScaleInAt: NOW - 2 * MIN }));
    expect(d.reason).toMatch(/scale-in cooldown: 180 s left/);
    const busy = { replicas: replicas(2), history: history([90, 90, 90], 2) };
    expect(targetTrackingPolicy(input({ ...busy, lastScaleInAt: NOW - MIN })).action).toBe("add");
  });
});

describe("step scaling (the user guide's wording)", () => {
  it("adds one replica per minute above the target, without counting replicas being created", () => {
    const d = stepPolicy(input({ replicas: replicas(1, { creating: 3 }), history: history([71], 1) }));
    expect(d).toMatchObject({ action: "add", count: 1 });
  });

  it("removes one replica per minute below the target", () => {
    expect(removed(stepPolicy(input({ replicas: replicas(3), history: history([69], 3) })))).toEqual(["r3"]);
  });

  it("waits out each cooldown from the last action of either kind", () => {
    const config = { ...CONFIG, scaleOutCooldownSeconds: 120 };
    const afterIn = stepPolicy(input({ config, history: history([90], 1), lastScaleInAt: NOW - MIN }));
    expect(afterIn.reason).toMatch(/scale-out cooldown: 60 s left/);
    const afterOut = stepPolicy(
      input({ replicas: replicas(3), history: history([20], 3), lastScaleOutAt: NOW - MIN }),
    );
    expect(afterOut.reason).toMatch(/scale-in cooldown: 240 s left/);
  });

  it("stays within the bounds", () => {
    expect(stepPolicy(input({ replicas: replicas(10), history: history([100], 10) })).action).toBe("none");
    expect(
      stepPolicy(input({ replicas: replicas(1, { initial: 0 }), history: history([1], 1) })).action,
    ).toBe("none");
  });
});
