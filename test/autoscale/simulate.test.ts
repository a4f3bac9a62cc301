import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../../src/autoscale/policies.js";
import { cpuPercent, simulate } from "../../src/autoscale/simulate.js";
import type { TracePoint } from "../../src/autoscale/trace.js";
import { type Decision, POLICY_NAMES, type Policy, type PolicyInput } from "../../src/autoscale/types.js";
import { CONFIG, MIN } from "./helpers.js";

const trace = (demands: number[], start = 0): TracePoint[] =>
  demands.map((demandVcpu, i) => ({ minute: start + i, demandVcpu }));

/** A policy that does what `script` says at given minutes, and records what it was shown. */
function scripted(script: Record<number, (i: PolicyInput) => Decision>) {
  const seen: PolicyInput[] = [];
  const policy: Policy = (i) => {
    seen.push({ ...i, history: [...i.history], replicas: [...i.replicas] });
    return script[i.nowMs / MIN]?.(i) ?? { action: "none", reason: "" };
  };
  return { policy, seen };
}

describe("the simulator's fixed model", () => {
  it("cpu(t) = min(100, 100 x demand / (ready x vCPUs)); 100 with demand and no ready replica", () => {
    expect(cpuPercent(1, 1, 2)).toBe(50);
    expect(cpuPercent(3, 1, 2)).toBe(100);
    expect(cpuPercent(3, 2, 2)).toBe(75);
    expect(cpuPercent(0.1, 0, 2)).toBe(100);
    expect(cpuPercent(0, 0, 2)).toBe(0);
  });

  it("computes each figure as the issue defines it", () => {
    const r = simulate(trace([1, 3, 1.5, 0]), {
      policy: POLICIES.step,
      config: { ...CONFIG, maxCapacity: 1 },
      initialReplicas: 1,
    });
    expect(r.summary).toEqual({
      saturated_minutes: 1, // 3 > 1 x 2
      over_target_minutes: 2, // 100% and 75% > 70%
      replica_hours: 0.07, // 4 replica-minutes / 60
      scale_out_actions: 0,
      scale_in_actions: 0,
    });
    expect(r.timeline.map((t) => t.cpu_percent)).toEqual([50, 100, 75, 0]);
  });

  it("makes a replica ready --provision-minutes after its action, counts it meanwhile, removes at once", () => {
    const { policy } = scripted({
      2: () => ({ action: "add", count: 1, reason: "test" }),
      8: (i) => ({ action: "remove", remove: [i.replicas.at(-1)!.id], reason: "test" }),
    });
    const r = simulate(trace(Array(10).fill(3)), {
      policy,
      config: { ...CONFIG, provisionMinutes: 3 },
      initialReplicas: 1,
    });
    expect(r.timeline.map((t) => [t.ready, t.provisioning])).toEqual([
      [1, 0],
      [1, 0],
      [1, 1],
      [1, 1],
      [1, 1],
      [2, 0],
      [2, 0],
      [2, 0],
      [1, 0],
      [1, 0],
    ]);
    expect(r.timeline.map((t) => t.cpu_percent)).toEqual([100, 100, 100, 100, 100, 75, 75, 75, 100, 100]);
    expect(r.summary).toMatchObject({ scale_out_actions: 1, scale_in_actions: 1, saturated_minutes: 7 });
    expect(r.summary.replica_hours).toBe(Math.round(((10 + 6) / 60) * 100) / 100);
    expect(r.timeline[2].action).toEqual({ kind: "scale-out", count: 1, reason: "test" });
    expect(r.timeline[8].action).toEqual({
      kind: "scale-in",
      count: 1,
      replicas: ["replica-2"],
      reason: "test",
    });
  });

  it("shows a policy at minute t the CPU of earlier minutes only, and its replicas' states", () => {
    const { policy, seen } = scripted({ 101: () => ({ action: "add", count: 1, reason: "" }) });
    simulate(trace([1, 1, 1, 1], 100), {
      policy,
      config: { ...CONFIG, provisionMinutes: 3 },
      initialReplicas: 1,
    });
    expect(seen.map((s) => s.nowMs / MIN)).toEqual([100, 101, 102, 103]);
    for (const s of seen) {
      expect(s.history.length).toBe(s.nowMs / MIN - 100);
      expect(s.history.every((p) => p.atMs < s.nowMs)).toBe(true);
    }
    expect(seen[3].replicas.map((r) => [r.state, r.createdByAutoscaler])).toEqual([
      ["ready", false],
      ["creating", true],
    ]);
    expect(seen[2].lastScaleOutAt).toBe(101 * MIN);
  });

  it("refuses a decision that removes a replica the autoscaler did not make (a policy bug)", () => {
    const { policy } = scripted({ 1: () => ({ action: "remove", remove: ["replica-1"], reason: "" }) });
    expect(() =>
      simulate(trace([1, 1, 1]), { policy, config: { ...CONFIG, minCapacity: 0 }, initialReplicas: 1 }),
    ).toThrow(/removes a replica it may not/);
  });

  it("keeps every policy within min and max, removing only what it made, on any trace and settings", () => {
    const settings = fc
      .record({
        min: fc.integer({ min: 0, max: 4 }),
        extra: fc.integer({ min: 0, max: 8 }),
        target: fc.integer({ min: 20, max: 95 }),
        inCooldown: fc.integer({ min: 0, max: 900 }),
        outCooldown: fc.integer({ min: 0, max: 900 }),
        provision: fc.integer({ min: 0, max: 20 }),
        vcpu: fc.constantFrom(2, 4, 8),
        start: fc.integer({ min: 0, max: 12 }),
      })
      .map((s) => ({ ...s, max: s.min + s.extra }));
    const demands = fc.array(fc.float({ min: 0, max: 60, noNaN: true }), { minLength: 1, maxLength: 240 });
    fc.assert(
      fc.property(settings, demands, fc.constantFrom(...POLICY_NAMES), (s, d, name) => {
        const config = {
          minCapacity: s.min,
          maxCapacity: s.max,
          targetCpuPercent: s.target,
          scaleInCooldownSeconds: s.inCooldown,
          scaleOutCooldownSeconds: s.outCooldown,
          replicaVcpus: s.vcpu,
          provisionMinutes: s.provision,
        };
        const initialReplicas = Math.min(s.max, Math.max(s.min, s.start));
        // simulate() itself throws on a removal of a replica the policy may not remove.
        const r = simulate(trace(d), { policy: POLICIES[name], config, initialReplicas });
        for (const t of r.timeline) {
          const total = t.ready + t.provisioning;
          expect(total).toBeGreaterThanOrEqual(Math.min(s.min, initialReplicas));
          expect(total).toBeLessThanOrEqual(s.max);
        }
      }),
      { numRuns: 300 },
    );
  });
});
