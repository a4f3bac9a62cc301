import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../../src/autoscale/policies.js";
import { type SimulationResult, simulate } from "../../src/autoscale/simulate.js";
import { parseTrace, type TracePoint } from "../../src/autoscale/trace.js";
import type { PolicyName } from "../../src/autoscale/types.js";
import { CONFIG } from "./helpers.js";

/** A seeded PRNG (mulberry32) and standard normal samples, so the noise is the same on every run. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A day of stationary load: `level` vCPUs with `noise` relative standard deviation each minute. */
function stationary(level: number, noise: number, seed: number): TracePoint[] {
  const g = gaussian(seed);
  return Array.from({ length: 1440 }, (_, minute) => ({
    minute,
    demandVcpu: Math.max(0, level * (1 + noise * g())),
  }));
}

const run = (trace: TracePoint[], policy: PolicyName): SimulationResult =>
  simulate(trace, { policy: POLICIES[policy], config: CONFIG, initialReplicas: 1 });

/** Actions after the first hour (the climb to the load), and reversals: an action undone within an hour. */
function churn(r: SimulationResult) {
  const acts = r.timeline.filter((t) => t.action !== null && t.minute >= 60);
  let reversals = 0;
  for (let i = 1; i < acts.length; i++) {
    if (acts[i].action!.kind !== acts[i - 1].action!.kind && acts[i].minute - acts[i - 1].minute < 60)
      reversals++;
  }
  return { actions: acts.length, reversals };
}

describe("no oscillation on noisy load", () => {
  it("holds its replicas through days of steady noisy load, where target tracking flaps", () => {
    // Levels across the replica counts (1.4 vCPU each at the 70% target), some right at a boundary,
    // where a policy that reads noise as load adds and removes the same replica over and over.
    let ebdbReversals = 0;
    let ttReversals = 0;
    for (const noise of [0.05, 0.15]) {
      for (const [level, seed] of [
        [2.7, 1],
        [4.1, 2],
        [5.3, 3],
        [6.8, 4],
        [9.6, 5],
      ] as const) {
        const trace = stationary(level, noise, seed);
        const ebdb = churn(run(trace, "ebdb"));
        expect(ebdb.reversals, `${level} vCPU, ${noise * 100}% noise`).toBeLessThanOrEqual(2);
        ebdbReversals += ebdb.reversals;
        ttReversals += churn(run(trace, "target-tracking")).reversals;
      }
    }
    expect(ttReversals).toBeGreaterThan(50);
    expect(ebdbReversals).toBeLessThan(ttReversals / 10);
  });

  it("settles on the suite's noisy plateau (bursts included): no reversal, fewer actions than target tracking", () => {
    const text = readFileSync(
      new URL("../../bench/autoscale/traces/noisy-plateau.csv", import.meta.url),
      "utf8",
    );
    const trace = parseTrace(text, "noisy-plateau.csv");
    const ebdb = churn(run(trace, "ebdb"));
    const tt = churn(run(trace, "target-tracking"));
    expect(ebdb).toEqual({ actions: expect.any(Number), reversals: 0 });
    expect(ebdb.actions).toBeLessThanOrEqual(2);
    expect(tt.reversals).toBeGreaterThan(0);
  });
});
