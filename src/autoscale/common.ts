import type { Decision, PolicyInput, ReplicaView } from "./types.js";

/** Shared pieces of the policies: counting, bounds, cooldowns and which replicas to remove. */

export const MINUTE_MS = 60_000;

export interface Counts {
  ready: number;
  creating: number;
  /** Ready plus creating: the capacity already decided on. */
  total: number;
}

export function countReplicas(replicas: readonly ReplicaView[]): Counts {
  const ready = replicas.filter((r) => r.state === "ready").length;
  return { ready, creating: replicas.length - ready, total: replicas.length };
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The replicas to remove to go from `total` down to `want`: only ready ones the autoscaler created,
 * fewest connections first (unknown counts last), the newest first among equals. Returns fewer when
 * not enough are removable.
 */
export function pickRemovals(replicas: readonly ReplicaView[], count: number): string[] {
  if (count <= 0) return [];
  return replicas
    .filter((r) => r.state === "ready" && r.createdByAutoscaler)
    .sort(
      (a, b) =>
        (a.connections ?? Number.POSITIVE_INFINITY) - (b.connections ?? Number.POSITIVE_INFINITY) ||
        b.createdAtMs - a.createdAtMs ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .slice(0, count)
    .map((r) => r.id);
}

/** A removal of `count` replicas (or fewer when fewer are removable), or why none can go. */
export function removeDecision(input: PolicyInput, count: number, why: string): Decision {
  const ids = pickRemovals(input.replicas, count);
  if (ids.length === 0) {
    return {
      action: "none",
      reason: `${why}, but no ready replica that the autoscaler created is left to remove`,
    };
  }
  return { action: "remove", remove: ids, reason: `${why}: remove ${ids.join(", ")}` };
}

/**
 * Bring the count within [min, max] before anything else (Application Auto Scaling does the same
 * when a scalable target's capacity is outside its new bounds). Null when already within.
 */
export function enforceBounds(input: PolicyInput): Decision | null {
  const { minCapacity: min, maxCapacity: max } = input.config;
  const { total } = countReplicas(input.replicas);
  if (total < min) {
    return {
      action: "add",
      count: min - total,
      reason: `${plural(total, "replica")} (ready and creating) is below the minimum of ${min}`,
    };
  }
  if (total > max) {
    return removeDecision(
      input,
      total - max,
      `${plural(total, "replica")} (ready and creating) is above the maximum of ${max}`,
    );
  }
  return null;
}

/** Seconds left of a cooldown that started at `since` (0 when over or never started). */
export function cooldownLeft(nowMs: number, since: number | null, seconds: number): number {
  if (since === null) return 0;
  return Math.max(0, Math.ceil((since + seconds * 1000 - nowMs) / 1000));
}

/** The later of two optional times. */
export function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** The points of the last `minutes` whole minutes before now, oldest first. */
export function lastMinutes<T extends { atMs: number }>(
  history: readonly T[],
  nowMs: number,
  minutes: number,
): T[] {
  const from = nowMs - minutes * MINUTE_MS;
  const out: T[] = [];
  for (let i = history.length - 1; i >= 0 && history[i].atMs >= from; i--) {
    if (history[i].atMs < nowMs) out.push(history[i]);
  }
  return out.reverse();
}

/** Whether `points` are exactly the `n` minutes before now, none missing. */
export function consecutive(points: readonly { atMs: number }[], nowMs: number, n: number): boolean {
  if (points.length < n) return false;
  const tail = points.slice(-n);
  return tail.every((p, i) => p.atMs === nowMs - (n - i) * MINUTE_MS);
}

export const fmt = (x: number, digits = 1) => x.toFixed(digits).replace(/\.0+$/, "");
