import type { MetricPoint, PolicyConfig, PolicyInput, ReplicaView } from "../../src/autoscale/types.js";

export const MIN = 60_000;
/** "Now" in the tests: minute 1000, so the history has room before it. */
export const NOW = 1000 * MIN;

export const CONFIG: PolicyConfig = {
  minCapacity: 1,
  maxCapacity: 10,
  targetCpuPercent: 70,
  scaleInCooldownSeconds: 300,
  scaleOutCooldownSeconds: 60,
  replicaVcpus: 2,
  provisionMinutes: 10,
};

/** `n` ready replicas; the first `initial` made by `up`, the rest by the autoscaler. */
export function replicas(n: number, opts: { initial?: number; creating?: number } = {}): ReplicaView[] {
  const initial = opts.initial ?? 1;
  const out: ReplicaView[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: `r${i + 1}`,
      state: "ready",
      createdByAutoscaler: i >= initial,
      connections: 10,
      createdAtMs: NOW - (600 - i) * MIN,
    });
  }
  for (let i = 0; i < (opts.creating ?? 0); i++) {
    out.push({
      id: `c${i + 1}`,
      state: "creating",
      createdByAutoscaler: true,
      connections: null,
      createdAtMs: NOW - 2 * MIN,
    });
  }
  return out;
}

/** Per-minute CPU % values ending at the minute before NOW, each over `ready` replicas. */
export function history(cpus: readonly number[], ready: number | readonly number[]): MetricPoint[] {
  return cpus.map((cpu, i) => ({
    atMs: NOW - (cpus.length - i) * MIN,
    cpuPercent: cpu,
    readyReplicas: typeof ready === "number" ? ready : ready[i],
  }));
}

/** CPU % values for a constant demand (vCPUs) on `ready` replicas of CONFIG's size. */
export function steady(demandVcpu: number, ready: number, minutes: number): number[] {
  return Array.from({ length: minutes }, () =>
    Math.min(100, (100 * demandVcpu) / (ready * CONFIG.replicaVcpus)),
  );
}

export function input(over: Partial<PolicyInput>): PolicyInput {
  return {
    nowMs: NOW,
    config: CONFIG,
    replicas: replicas(1),
    history: [],
    lastScaleOutAt: null,
    lastScaleInAt: null,
    ...over,
  };
}
