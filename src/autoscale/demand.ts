import { MINUTE_MS } from "./common.js";
import type { MetricPoint } from "./types.js";

/**
 * The readers' demand in vCPUs, from the CPU metric: cpu% x ready replicas x vCPUs each. Demand is a
 * better thing to forecast than CPU %, which changes with the replica count and stops at 100.
 */
export interface DemandPoint {
  atMs: number;
  /** vCPUs in use; a lower bound when `saturated`. */
  vcpu: number;
  /** The metric was at its ceiling: the true demand is at least `vcpu`, and unknown beyond it. */
  saturated: boolean;
}

/**
 * CPU at or above this is taken as saturation. An average over replicas seldom reads exactly 100 on
 * a real saturated set (a replica has idle gaps inside a minute), hence a little below.
 */
export const SATURATED_CPU = 98;

export function demandOf(p: MetricPoint, replicaVcpus: number): DemandPoint {
  return {
    atMs: p.atMs,
    vcpu: (Math.min(100, Math.max(0, p.cpuPercent)) / 100) * p.readyReplicas * replicaVcpus,
    saturated: p.cpuPercent >= SATURATED_CPU,
  };
}

export interface Trend {
  /** Fitted demand at the last point (vCPUs). */
  level: number;
  /** vCPUs per minute. */
  slope: number;
  /** Standard error of the slope (vCPUs per minute); Infinity with too few points to tell. */
  slopeError: number;
  /** Standard error of the fitted level (vCPUs); Infinity with too few points to tell. */
  levelError: number;
  /** Mean of the points (vCPUs). */
  mean: number;
}

/**
 * Ordinary least squares of demand against time over `points`. The slope's standard
 * error lets a caller ignore a "trend" that noise alone would produce.
 */
export function fitTrend(points: readonly DemandPoint[]): Trend {
  const n = points.length;
  if (n === 0) return { level: 0, slope: 0, slopeError: Infinity, levelError: Infinity, mean: 0 };
  const t0 = points[n - 1].atMs;
  const xs = points.map((p) => (p.atMs - t0) / MINUTE_MS);
  const ys = points.map((p) => p.vcpu);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (n < 3 || sxx === 0)
    return { level: ys[n - 1], slope: 0, slopeError: Infinity, levelError: Infinity, mean: my };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - (intercept + slope * xs[i])) ** 2;
  const residual = Math.sqrt(sse / (n - 2));
  return {
    level: intercept,
    slope,
    slopeError: residual / Math.sqrt(sxx),
    // x = 0 is the last point: the fitted value's error there.
    levelError: residual * Math.sqrt(1 / n + mx ** 2 / sxx),
    mean: my,
  };
}

export function meanOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The minute-to-minute noise of demand (a standard deviation, vCPUs) from successive differences,
 * sqrt(mean((d[i] - d[i-1])^2) / 2), which a trend hardly moves (unlike the plain deviation). 0 for
 * fewer than 2 points.
 */
export function noiseOf(points: readonly DemandPoint[]): number {
  if (points.length < 2) return 0;
  let sum = 0;
  for (let i = 1; i < points.length; i++) sum += (points[i].vcpu - points[i - 1].vcpu) ** 2;
  return Math.sqrt(sum / (points.length - 1) / 2);
}
