import {
  consecutive,
  cooldownLeft,
  countReplicas,
  enforceBounds,
  fmt,
  lastMinutes,
  latest,
  MINUTE_MS,
  plural,
  removeDecision,
} from "./common.js";
import { type DemandPoint, demandOf, fitTrend, meanOf, medianOf, noiseOf } from "./demand.js";
import type { Decision, PolicyConfig, PolicyInput } from "./types.js";

/** Minutes of history the policy reads (runners must supply at least these). */
export const HISTORY_MINUTES = 30;
/** Minutes of demand the trend is fitted over. */
export const TREND_MINUTES = 10;
/** A trend counts only when its slope is this many standard errors from zero: noise is not a trend. */
export const TREND_SIGNIFICANCE = 3;
/** Windows (minutes) whose medians estimate the level of demand when there is no trend. */
export const LEVEL_WINDOWS = [5, 10, 30] as const;
/** Standard errors between an estimate of demand and the bound a scale-out acts on. */
export const BAND = 2;
/**
 * Standard errors of margin a scale-in leaves under the target. Wider than BAND: the gap between the
 * two is what keeps noise from flapping a replica out and in (measured on a day of noisy load).
 */
export const SCALE_IN_BAND = 4;
/** A forecast replica set may run this hot when the replicas added now are ready (then the target rules). */
export const FORECAST_CEILING = 0.9;
/** Minutes at the ceiling before probing: a minute or two is as often a burst as the start of a spike. */
export const SATURATED_MINUTES = 3;
/** At the ceiling, demand is at least the ready capacity and unknown beyond: plan for this multiple. */
export const SATURATION_PROBE = 1.5;
/** Minutes that must all fit in fewer replicas before any is removed. */
export const SCALE_IN_MINUTES = 15;
/** On clearly falling demand, the removal is sized on this many last minutes. */
export const FALLING_MINUTES = 3;
/** The newest data older than this is too old to act on (a runner that missed its metric). */
const STALE_MINUTES = 3;

/**
 * ebdb's read-replica autoscaling policy. It reasons in vCPUs of demand (cpu x ready x vCPUs) rather
 * than CPU %, which moves with the replica count and stops at 100, and it counts replicas still being
 * created as capacity already added, so it never adds twice for the same demand. Every estimate is
 * taken with its noise (from minute-to-minute differences): it scales out on what demand is at least,
 * and in on what demand is at most.
 *
 * Scale out (after the scale-out cooldown since the last action of either kind, as config.env words
 * it) to the most of:
 * - the present demand at the target (not in the 15 minutes after a scale-in, which like a scale-out
 *   is judged on a whole window). With a clear trend (a 10-minute least-squares slope 3 standard
 *   errors from zero) the fitted level less 2 standard errors; without one, the highest lower bound
 *   (median less 2 standard errors) of the last 5, 10 and 30 minutes, capped by the last 5 minutes'
 *   median: a big shift shows at once in the short window, a small one in the long, and a burst of a
 *   minute or two in neither;
 * - the demand forecast for when a replica added now is ready (`provisionMinutes` along a clear rising
 *   trend, at its slope less 2 standard errors), at no more than 90% CPU: replicas are ready when the
 *   load arrives, not 3 + 10 minutes after it has;
 * - after 3 minutes at the ceiling, 1.5 x the ready capacity at the target. Saturated CPU hides how
 *   far demand went: planning a multiple reaches a spike in geometric rounds of provisioning
 *   (x2.1 replicas a round at a 70% target) where ratio-based target tracking adds at most
 *   100/target (x1.4) a round.
 *
 * Scale in cautiously: only when nothing is being created, nothing was saturated for 15 minutes, the
 * last scale-out's replicas have served a whole window (unless demand clearly falls), demand is not
 * rising, and the scale-in cooldown since the last action of either kind is over; then to the fewest
 * replicas that would have carried every one of those minutes and on which demand, 4 standard errors
 * above its mean over 10 and 15 minutes (the last 3 when it clearly falls), stays under the target.
 * The gap between the scale-out's 2 and the scale-in's 4 keeps noise from flapping a replica.
 * It removes only ready replicas the autoscaler created, fewest connections first.
 */
export function ebdbPolicy(input: PolicyInput): Decision {
  const bounded = enforceBounds(input);
  if (bounded) return bounded;
  const { config, nowMs } = input;
  const demand = lastMinutes(input.history, nowMs, HISTORY_MINUTES).map((p) =>
    demandOf(p, config.replicaVcpus),
  );
  const last = demand.at(-1);
  if (!last || last.atMs < nowMs - STALE_MINUTES * MINUTE_MS) {
    return { action: "none", reason: "no CPU data for the last minutes" };
  }
  const counts = countReplicas(input.replicas);
  const have = `${counts.ready} ready${counts.creating ? ` + ${counts.creating} creating` : ""}`;
  // Like a scale-out, a scale-in is judged on a whole window: until then only a rise or saturation
  // undoes it, not the level a few noisy minutes suggest.
  const settling = input.lastScaleInAt !== null && nowMs < input.lastScaleInAt + SCALE_IN_MINUTES * MINUTE_MS;
  const out = scaleOutPlan(demand, config, settling);
  const want = Math.min(config.maxCapacity, Math.max(config.minCapacity, out.want));
  if (want > counts.total) {
    const since = latest(input.lastScaleOutAt, input.lastScaleInAt);
    const wait = cooldownLeft(nowMs, since, config.scaleOutCooldownSeconds);
    if (wait > 0) return { action: "none", reason: `${out.why}; scale-out cooldown: ${wait} s left` };
    return {
      action: "add",
      count: want - counts.total,
      reason: `${out.why}: ${plural(want, "replica")} wanted (have ${have})`,
    };
  }
  return scaleIn(input, demand, out, have) ?? { action: "none", reason: `${out.why}: ${have} is enough` };
}

interface OutPlan {
  /** Replicas the demand calls for (before the bounds). */
  want: number;
  why: string;
  /** Demand rising, or falling, beyond what noise explains. */
  rising: boolean;
  falling: boolean;
}

function scaleOutPlan(demand: DemandPoint[], config: PolicyConfig, settling: boolean): OutPlan {
  const target = config.targetCpuPercent / 100;
  const replicasFor = (vcpu: number, utilisation: number) =>
    Math.ceil(vcpu / (utilisation * config.replicaVcpus) - 1e-9);
  const window = demand.slice(-TREND_MINUTES);
  const trend = fitTrend(window);
  // Saturated minutes measure capacity, not demand: a "trend" through them is replicas arriving.
  const clear =
    !window.some((p) => p.saturated) && Math.abs(trend.slope) > TREND_SIGNIFICANCE * trend.slopeError;
  const rising = clear && trend.slope > 0;
  const falling = clear && trend.slope < 0;
  const sigma = noiseOf(demand);
  const median = (w: number) => medianOf(demand.slice(-w).map((p) => p.vcpu));
  // The standard error of a median is about 1.25 x that of a mean.
  const lower = (w: number) => median(w) - (BAND * 1.25 * sigma) / Math.sqrt(Math.min(w, demand.length));
  const level = clear
    ? trend.level - BAND * trend.levelError
    : Math.min(median(LEVEL_WINDOWS[0]), Math.max(...LEVEL_WINDOWS.map(lower)));

  let want = settling && !rising ? 0 : replicasFor(level, target);
  let why = `demand ${fmt(level)} vCPU${clear ? "" : " (steady)"} at ${config.targetCpuPercent}%`;
  if (rising) {
    const forecast = level + (trend.slope - BAND * trend.slopeError) * config.provisionMinutes;
    const ahead = replicasFor(forecast, FORECAST_CEILING);
    if (ahead > want) {
      want = ahead;
      why = `demand ${fmt(level)} vCPU rising ${fmt(trend.slope, 2)} vCPU/min: ${fmt(forecast)} vCPU in ${config.provisionMinutes} min, under ${100 * FORECAST_CEILING}% CPU`;
    }
  }
  const atCeiling = demand.slice(-SATURATED_MINUTES);
  if (atCeiling.length === SATURATED_MINUTES && atCeiling.every((p) => p.saturated)) {
    const floor = atCeiling[atCeiling.length - 1].vcpu;
    const probe = replicasFor(floor * SATURATION_PROBE, target);
    if (probe > want) {
      want = probe;
      why = `CPU at its ceiling for ${SATURATED_MINUTES} min: demand is above ${fmt(floor)} vCPU, planning for ${fmt(floor * SATURATION_PROBE)} vCPU at ${config.targetCpuPercent}%`;
    }
  }
  return { want, why, rising, falling };
}

function scaleIn(input: PolicyInput, demand: DemandPoint[], out: OutPlan, have: string): Decision | null {
  const { config, nowMs } = input;
  const counts = countReplicas(input.replicas);
  if (counts.total <= config.minCapacity || counts.creating > 0 || out.rising) return null;
  const window = demand.slice(-SCALE_IN_MINUTES);
  if (!consecutive(window, nowMs, SCALE_IN_MINUTES) || window.some((p) => p.saturated)) return null;
  // Removing a replica the minute it is ready, on a window measured without it, is flapping.
  const settled = (input.lastScaleOutAt ?? 0) + (config.provisionMinutes + SCALE_IN_MINUTES) * MINUTE_MS;
  if (!out.falling && nowMs < settled) return null;
  // When demand clearly falls, the window's oldest minutes are its busiest and say little of what
  // the replicas will carry: size on the last few.
  const sizing = (out.falling ? window.slice(-FALLING_MINUTES) : window).map((p) => p.vcpu);
  const peak = Math.max(...sizing);
  const sigma = noiseOf(demand);
  const upper = (w: number) =>
    meanOf(sizing.slice(-w)) + (SCALE_IN_BAND * sigma) / Math.sqrt(Math.min(w, sizing.length));
  const load = Math.max(...(out.falling ? [FALLING_MINUTES] : [TREND_MINUTES, SCALE_IN_MINUTES]).map(upper));
  const v = config.replicaVcpus;
  const want = Math.max(
    config.minCapacity,
    Math.ceil(peak / v - 1e-9),
    Math.ceil(load / ((config.targetCpuPercent / 100) * v) - 1e-9),
  );
  if (want >= counts.total) return null;
  const why = `${plural(want, "replica")} would have carried the last ${sizing.length} min${out.falling ? " of falling demand" : ""} (mean ${fmt(meanOf(sizing))}, peak ${fmt(peak)} vCPU) under the target (have ${have})`;
  const wait = cooldownLeft(
    nowMs,
    latest(input.lastScaleOutAt, input.lastScaleInAt),
    config.scaleInCooldownSeconds,
  );
  if (wait > 0) return { action: "none", reason: `${why}; scale-in cooldown: ${wait} s left` };
  return removeDecision(input, counts.total - want, why);
}
