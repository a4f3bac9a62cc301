import { MINUTE_MS } from "./common.js";
import type { TracePoint } from "./trace.js";
import type { Decision, MetricPoint, Policy, PolicyConfig, ReplicaView } from "./types.js";

/** What happened in one minute, as `autoscale simulate --json` gives it. */
export interface TimelineRow {
  minute: number;
  demand_vcpu: number;
  /** Replicas serving reads in this minute (after this minute's action). */
  ready: number;
  /** Replicas added but not ready yet. */
  provisioning: number;
  cpu_percent: number;
  /** What the policy did at the start of this minute; null for nothing. */
  action: null | { kind: "scale-out" | "scale-in"; count: number; replicas?: string[]; reason: string };
}

export interface SimulationSummary {
  /** Minutes when demand exceeded the ready replicas' vCPUs. */
  saturated_minutes: number;
  /** Minutes when CPU was above the target. */
  over_target_minutes: number;
  /** Ready plus provisioning replicas, summed over the minutes, / 60. */
  replica_hours: number;
  scale_out_actions: number;
  scale_in_actions: number;
}

export interface SimulationResult {
  summary: SimulationSummary;
  timeline: TimelineRow[];
}

export interface SimulationOptions {
  policy: Policy;
  /** Its provisionMinutes is also the model's: a replica is ready that many minutes after its action. */
  config: PolicyConfig;
  /** Replicas ready at the first minute, made outside the autoscaler (by `up`). */
  initialReplicas: number;
}

interface SimReplica {
  id: string;
  readyAt: number;
  createdAt: number;
  createdByAutoscaler: boolean;
}

/** cpu(t) = min(100, 100 x demand / (ready x vCPUs)); 100 when demand meets no ready replica. */
export function cpuPercent(demand: number, ready: number, vcpu: number): number {
  if (ready === 0) return demand > 0 ? 100 : 0;
  return Math.min(100, (100 * demand) / (ready * vcpu));
}

/**
 * Runs a policy over a trace with the fixed model of issue 9, so policies can be compared:
 * at the start of minute t the policy sees the CPU of minutes before t only, and acts; a replica it
 * adds is ready `provisionMinutes` later, a removal takes effect at once; then cpu(t) follows from
 * demand(t) and the ready replicas. The model has no connections (all are 0), so among removable
 * replicas the newest goes first. Throws if a policy breaks the rules it must keep (a bug).
 */
export function simulate(trace: readonly TracePoint[], opts: SimulationOptions): SimulationResult {
  const { config, policy } = opts;
  const vcpu = config.replicaVcpus;
  const minuteMs = (m: number) => m * MINUTE_MS;
  const start = trace[0]?.minute ?? 0;
  let replicas: SimReplica[] = Array.from({ length: opts.initialReplicas }, (_, i) => ({
    id: `replica-${i + 1}`,
    readyAt: start,
    createdAt: start,
    createdByAutoscaler: false,
  }));
  let seq = opts.initialReplicas;
  const history: MetricPoint[] = [];
  let lastScaleOutAt: number | null = null;
  let lastScaleInAt: number | null = null;
  const summary: SimulationSummary = {
    saturated_minutes: 0,
    over_target_minutes: 0,
    replica_hours: 0,
    scale_out_actions: 0,
    scale_in_actions: 0,
  };
  let replicaMinutes = 0;
  const timeline: TimelineRow[] = [];

  for (const { minute, demandVcpu } of trace) {
    const nowMs = minuteMs(minute);
    const views: ReplicaView[] = replicas.map((r) => ({
      id: r.id,
      state: r.readyAt <= minute ? "ready" : "creating",
      createdByAutoscaler: r.createdByAutoscaler,
      connections: 0,
      createdAtMs: minuteMs(r.createdAt),
    }));
    const decision = policy({ nowMs, config, replicas: views, history, lastScaleOutAt, lastScaleInAt });
    let action: TimelineRow["action"] = null;
    if (decision.action === "add") {
      check(decision, replicas.length + decision.count <= config.maxCapacity, "adds past the maximum");
      for (let i = 0; i < decision.count; i++) {
        seq += 1;
        replicas.push({
          id: `replica-${seq}`,
          readyAt: minute + config.provisionMinutes,
          createdAt: minute,
          createdByAutoscaler: true,
        });
      }
      lastScaleOutAt = nowMs;
      summary.scale_out_actions += 1;
      action = { kind: "scale-out", count: decision.count, reason: decision.reason };
    } else if (decision.action === "remove") {
      const removable = new Set(
        views.filter((r) => r.state === "ready" && r.createdByAutoscaler).map((r) => r.id),
      );
      check(
        decision,
        decision.remove.every((id) => removable.has(id)),
        "removes a replica it may not",
      );
      check(
        decision,
        replicas.length - decision.remove.length >= config.minCapacity,
        "goes below the minimum",
      );
      replicas = replicas.filter((r) => !decision.remove.includes(r.id));
      lastScaleInAt = nowMs;
      summary.scale_in_actions += 1;
      action = {
        kind: "scale-in",
        count: decision.remove.length,
        replicas: decision.remove,
        reason: decision.reason,
      };
    }
    const ready = replicas.filter((r) => r.readyAt <= minute).length;
    const counts = { ready, creating: replicas.length - ready, total: replicas.length };
    const cpu = cpuPercent(demandVcpu, counts.ready, vcpu);
    if (demandVcpu > counts.ready * vcpu) summary.saturated_minutes += 1;
    if (cpu > config.targetCpuPercent) summary.over_target_minutes += 1;
    replicaMinutes += counts.total;
    history.push({ atMs: nowMs, cpuPercent: cpu, readyReplicas: counts.ready });
    timeline.push({
      minute,
      demand_vcpu: demandVcpu,
      ready: counts.ready,
      provisioning: counts.creating,
      cpu_percent: Math.round(cpu * 100) / 100,
      action,
    });
  }
  summary.replica_hours = Math.round((replicaMinutes / 60) * 100) / 100;
  return { summary, timeline };
}

function check(decision: Decision, ok: boolean, what: string): void {
  if (!ok) throw new Error(`the policy's decision ${what}: ${JSON.stringify(decision)}`);
}
