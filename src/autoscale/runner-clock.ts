import { fmt, MINUTE_MS, plural } from "./common.js";
import type { DecisionRecord } from "./runner-types.js";
import type { Decision, MetricPoint } from "./types.js";

/**
 * What every runner does around the policy: its clock, the metric it computes and the history it
 * keeps. Pure; the runners (local: `ebdb autoscale run`; AWS: the Lambda function) supply the I/O.
 *
 * A runner steps once per interval (60 s in production, as the metric is per minute). Each step
 * stands for one minute of the policy's clock, so every duration the policy counts (its windows in
 * minutes, the cooldowns, the provisioning time) is counted in steps: `--interval 1` runs the very
 * same policy 60 times faster, for tests and demonstrations.
 */

/** The runners' default step: one minute, the period of RDSReaderAverageCPUUtilization. */
export const DEFAULT_INTERVAL_SECONDS = 60;
/** Steps of metric history a runner keeps: the policy reads 30 (HISTORY_MINUTES); the rest is for `status`. */
export const HISTORY_STEPS = 60;

/** The step a real time (ms since the epoch) falls in: with a 60 s interval, the wall-clock minute. */
export function stepOf(realMs: number, intervalMs: number): number {
  return Math.floor(realMs / intervalMs);
}

/** The policy's time (ms) of the start of a step: step x one minute. */
export function policyMsOfStep(step: number): number {
  return step * MINUTE_MS;
}

/** A real time on the policy's clock (the start of its step), or null. */
export function toPolicyMs(realMs: number | null, intervalMs: number): number | null {
  return realMs === null ? null : policyMsOfStep(stepOf(realMs, intervalMs));
}

/**
 * A server's CPUUtilization as RDS reports it for an instance: the CPU time of its processes over the
 * wall time, as a share of the instance class's vCPUs. 100 x cpuSeconds / wallSeconds / vcpus,
 * between 0 and 100 (the simulator's model: each replica gives the class's vCPUs, and CPU stops at
 * 100). 0 for no elapsed time.
 */
export function cpuUtilization(cpuSeconds: number, wallSeconds: number, vcpus: number): number {
  if (wallSeconds <= 0 || vcpus <= 0) return 0;
  return Math.min(100, Math.max(0, (100 * cpuSeconds) / wallSeconds / vcpus));
}

/**
 * The readers' metric for one step (RDSReaderAverageCPUUtilization): the mean CPUUtilization of the
 * ready replicas. With no ready replica it is 100 when reads came and found none (the simulator's
 * rule: demand with no replica ready), else 0.
 */
export function readerAverage(
  atMs: number,
  readyCpus: readonly number[],
  readsWithoutReplica: boolean,
): MetricPoint {
  if (readyCpus.length === 0) return { atMs, cpuPercent: readsWithoutReplica ? 100 : 0, readyReplicas: 0 };
  const mean = readyCpus.reduce((a, b) => a + b, 0) / readyCpus.length;
  return { atMs, cpuPercent: Math.round(mean * 100) / 100, readyReplicas: readyCpus.length };
}

/**
 * A history with `point` added: one point per step, oldest first, the last `keep` steps before and
 * at the point's. A second point for a step already there is dropped (the first covered the step).
 */
export function addPoint<T extends { atMs: number }>(history: readonly T[], point: T, keep: number): T[] {
  if (history.some((p) => p.atMs === point.atMs)) return [...history];
  const out = [...history, point].sort((a, b) => a.atMs - b.atMs);
  const from = point.atMs - (keep - 1) * MINUTE_MS;
  return out.filter((p) => p.atMs >= from).slice(-keep);
}

/** How many replicas a decision leads to from `total` (ready and creating): Aurora's DesiredCapacity. */
export function desiredCount(decision: Decision, total: number): number {
  if (decision.action === "add") return total + decision.count;
  if (decision.action === "remove") return total - decision.remove.length;
  return total;
}

/**
 * The policy's provisioning time in steps, from how long the runner's last replica took from its
 * creation to being ready (seconds; null before any): at least 1 step.
 */
export function provisionSteps(
  lastProvisionSeconds: number | null,
  intervalMs: number,
  fallback = 1,
): number {
  if (lastProvisionSeconds === null) return fallback;
  return Math.max(1, Math.ceil((lastProvisionSeconds * 1000) / intervalMs));
}

/** The last `keep` items of a list with `item` appended (a bounded log). */
export function bounded<T>(list: readonly T[], item: T, keep: number): T[] {
  return [...list, item].slice(-keep);
}

/** A decision as a runner logs it (DecisionRecord), with `current` replicas (ready and creating) when deciding. */
export function decisionRecord(decision: Decision, current: number, atMs: number): DecisionRecord {
  return {
    at: new Date(atMs).toISOString(),
    action: decision.action,
    ...(decision.action === "add" ? { count: decision.count } : {}),
    ...(decision.action === "remove" ? { replicas: decision.remove } : {}),
    reason: decision.reason,
    current,
    desired: desiredCount(decision, current),
  };
}

/** A step's log line: "CPU 45.3% over 1 ready replica → add 1: <reason>". */
export function stepLine(
  metric: { cpuPercent: number; readyReplicas: number } | null,
  d: DecisionRecord,
): string {
  const what =
    d.action === "add"
      ? `add ${d.count}`
      : d.action === "remove"
        ? `remove ${(d.replicas ?? []).length}`
        : "no change";
  const cpu = metric
    ? `CPU ${fmt(metric.cpuPercent)}% over ${plural(metric.readyReplicas, "ready replica")}`
    : "no CPU figure";
  return `${cpu} → ${what}: ${d.reason}`;
}
