import { describe, expect, it } from "vitest";
import { ebdbPolicy } from "../../src/autoscale/policy-ebdb.js";
import type { Decision, ReplicaView } from "../../src/autoscale/types.js";
import { CONFIG, history, input, MIN, NOW, replicas, steady } from "./helpers.js";

const removed = (d: Decision) => (d.action === "remove" ? d.remove : []);
/** Demand of `vcpu` for the last 30 minutes on `ready` replicas, steady (no noise). */
const flat = (vcpu: number, ready: number) => history(steady(vcpu, ready, 30), ready);
/** 27 quiet minutes, then `saturated` minutes at the ceiling, on `ready` replicas. */
const saturatedFor = (saturated: number, ready: number) =>
  history([...steady(0.5 * ready, ready, 30 - saturated), ...Array(saturated).fill(100)], ready);

describe("ebdb policy: bounds", () => {
  it("adds up to the minimum at once, whatever the load", () => {
    const d = ebdbPolicy(input({ config: { ...CONFIG, minCapacity: 3 }, history: flat(0.1, 1) }));
    expect(d).toMatchObject({ action: "add", count: 2 });
    expect(d.reason).toMatch(/below the minimum of 3/);
  });

  it("removes down to the maximum, only replicas it made", () => {
    const d = ebdbPolicy(
      input({ config: { ...CONFIG, maxCapacity: 2 }, replicas: replicas(4), history: flat(7, 4) }),
    );
    expect(removed(d)).toEqual(["r4", "r3"]);
    expect(d.reason).toMatch(/above the maximum of 2/);
  });

  it("never asks for more than the maximum, even saturated", () => {
    const d = ebdbPolicy(input({ replicas: replicas(10), history: saturatedFor(30, 10) }));
    expect(d.action).toBe("none");
  });

  it("never goes below the minimum, even idle", () => {
    const d = ebdbPolicy(
      input({
        config: { ...CONFIG, minCapacity: 2 },
        replicas: replicas(2, { initial: 0 }),
        history: flat(0, 2),
      }),
    );
    expect(d.action).toBe("none");
  });
});

describe("ebdb policy: cooldowns", () => {
  const busy = { replicas: replicas(2), history: saturatedFor(3, 2) };

  it("waits out the scale-out cooldown, counted from the last action of either kind", () => {
    const config = { ...CONFIG, scaleOutCooldownSeconds: 600 };
    const afterOut = ebdbPolicy(input({ ...busy, config, lastScaleOutAt: NOW - 5 * MIN }));
    expect(afterOut.action).toBe("none");
    expect(afterOut.reason).toMatch(/scale-out cooldown: 300 s left/);
    const afterIn = ebdbPolicy(input({ ...busy, config, lastScaleInAt: NOW - 9 * MIN }));
    expect(afterIn.reason).toMatch(/scale-out cooldown: 60 s left/);
    expect(ebdbPolicy(input({ ...busy, config, lastScaleOutAt: NOW - 10 * MIN })).action).toBe("add");
  });

  it("waits out the scale-in cooldown after a scale-in", () => {
    const idle = { replicas: replicas(4), history: flat(1, 4) };
    const soon = ebdbPolicy(input({ ...idle, lastScaleInAt: NOW - 2 * MIN }));
    expect(soon.action).toBe("none");
    expect(soon.reason).toMatch(/scale-in cooldown: 180 s left/);
    expect(removed(ebdbPolicy(input({ ...idle, lastScaleInAt: NOW - 5 * MIN })))).toEqual(["r4", "r3", "r2"]);
  });

  it("keeps replicas it added until they have served a whole window", () => {
    const idle = { replicas: replicas(4), history: flat(1, 4) };
    // Added 20 minutes ago: ready for 10, not the 15 a removal is judged on.
    expect(ebdbPolicy(input({ ...idle, lastScaleOutAt: NOW - 20 * MIN })).action).toBe("none");
    expect(ebdbPolicy(input({ ...idle, lastScaleOutAt: NOW - 25 * MIN })).action).toBe("remove");
  });
});

describe("ebdb policy: replicas still being created", () => {
  it("counts them as capacity already added", () => {
    // Saturated on 2 ready: plan for 1.5 x 4 vCPU at 70% = 5 replicas.
    const none = ebdbPolicy(input({ replicas: replicas(2), history: saturatedFor(3, 2) }));
    expect(none).toMatchObject({ action: "add", count: 3 });
    const two = ebdbPolicy(input({ replicas: replicas(2, { creating: 2 }), history: saturatedFor(3, 2) }));
    expect(two).toMatchObject({ action: "add", count: 1 });
    const three = ebdbPolicy(input({ replicas: replicas(2, { creating: 3 }), history: saturatedFor(3, 2) }));
    expect(three.action).toBe("none");
  });

  it("removes nothing while a replica is being created", () => {
    const d = ebdbPolicy(input({ replicas: replicas(4, { creating: 1 }), history: flat(1, 4) }));
    expect(d.action).toBe("none");
  });

  it("never removes one that is still being created, even above the maximum", () => {
    const d = ebdbPolicy(
      input({
        config: { ...CONFIG, maxCapacity: 1 },
        replicas: replicas(1, { creating: 2 }),
        history: flat(1, 1),
      }),
    );
    expect(d.action).toBe("none");
    expect(d.reason).toMatch(/no ready replica that the autoscaler created/);
  });
});

describe("ebdb policy: which replica goes", () => {
  it("never removes a replica it did not create", () => {
    const none = ebdbPolicy(input({ replicas: replicas(4, { initial: 4 }), history: flat(1, 4) }));
    expect(none.action).toBe("none");
    expect(none.reason).toMatch(/no ready replica that the autoscaler created is left/);
    // One replica would do, but only two of the four are the autoscaler's.
    const some = ebdbPolicy(input({ replicas: replicas(4, { initial: 2 }), history: flat(1, 4) }));
    expect(removed(some).sort()).toEqual(["r3", "r4"]);
  });

  it("removes the one with the fewest connections; the newest among equals; unknown counts last", () => {
    const set = (conns: Array<number | null>): ReplicaView[] =>
      replicas(5).map((r, i) => ({ ...r, connections: conns[i] }));
    // 3.5 vCPU on 5 replicas: 3 replicas carry it under 70%, so two go.
    const h = flat(3.5, 5);
    expect(removed(ebdbPolicy(input({ replicas: set([0, 5, 1, 9, 3]), history: h })))).toEqual(["r3", "r5"]);
    expect(removed(ebdbPolicy(input({ replicas: set([0, 4, 4, 4, 9]), history: h })))).toEqual(["r4", "r3"]);
    expect(removed(ebdbPolicy(input({ replicas: set([0, null, 7, null, 8]), history: h })))).toEqual([
      "r3",
      "r5",
    ]);
  });
});

describe("ebdb policy: acting early", () => {
  it("adds before a clear rise arrives, while CPU is still under the target", () => {
    // 2 to 5.6 vCPU over 10 minutes on 5 replicas: 56% now, 9.6 vCPU in 10 minutes.
    const cpus = Array.from({ length: 10 }, (_, i) => (100 * (2 + 0.4 * i)) / 10);
    const d = ebdbPolicy(input({ replicas: replicas(5), history: history(cpus, 5) }));
    expect(d).toMatchObject({ action: "add", count: 1 });
    expect(d.reason).toMatch(/rising 0\.40 vCPU\/min: 9\.6 vCPU in 10 min/);
  });

  it("probes past a saturation of 3 minutes, but not of 2 (a burst)", () => {
    expect(ebdbPolicy(input({ history: saturatedFor(2, 1) })).action).toBe("none");
    const d = ebdbPolicy(input({ history: saturatedFor(3, 1) }));
    expect(d).toMatchObject({ action: "add", count: 2 });
    expect(d.reason).toMatch(/ceiling for 3 min/);
  });

  it("does nothing on stale data", () => {
    const old = flat(10, 1).map((p) => ({ ...p, atMs: p.atMs - 5 * MIN }));
    expect(ebdbPolicy(input({ history: old }))).toMatchObject({ action: "none", reason: /no CPU data/ });
  });
});
