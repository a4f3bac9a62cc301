import {
  consecutive,
  cooldownLeft,
  countReplicas,
  enforceBounds,
  fmt,
  lastMinutes,
  plural,
  removeDecision,
} from "./common.js";
import type { Decision, PolicyInput } from "./types.js";

/** Minutes above the target before a scale-out: the high alarm's 3 one-minute data points. */
export const TT_OUT_MINUTES = 3;
/** Minutes below 90% of the target before a scale-in: the low alarm's 15 data points. */
export const TT_IN_MINUTES = 15;
export const TT_IN_FRACTION = 0.9;

/**
 * AWS's target tracking, as Application Auto Scaling documents it for Aurora replicas
 * (docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html),
 * the baseline ebdb's policy is measured against:
 * - scale out after 3 consecutive minutes above the target, to ceil(capacity x cpu / target);
 * - scale in after 15 consecutive minutes below 90% of the target, to ceil(capacity x cpu / target);
 * - the scale-in cooldown blocks a scale-in after a scale-in, never a scale-out;
 * - "while the scale-out cooldown is in effect, the capacity added by the previous scale-out is
 *   calculated as part of the desired capacity for the next scale-out": the desired capacity is
 *   compared with the replicas ready plus creating, so a scale-out happens during the cooldown only
 *   when it is larger than the one in progress, and after it no differently;
 * - it removes only replicas it created (Aurora Auto Scaling does the same).
 * `capacity` is the replicas the metric averages (the ready ones): replicas still being created carry
 * no load, so multiplying their count by the ready ones' CPU would count demand that is not there.
 */
export function targetTrackingPolicy(input: PolicyInput): Decision {
  const bounded = enforceBounds(input);
  if (bounded) return bounded;
  const { config, nowMs } = input;
  const target = config.targetCpuPercent;
  const { total } = countReplicas(input.replicas);
  const recent = lastMinutes(input.history, nowMs, TT_IN_MINUTES);
  const last = recent.at(-1);
  if (!last || last.atMs !== nowMs - 60_000)
    return { action: "none", reason: "no CPU data for the last minute" };
  const desiredFor = (cpu: number) =>
    // With no ready replica the ratio is 0 x 100: one replica is the least that can bring CPU down.
    last.readyReplicas === 0 ? 1 : Math.ceil((last.readyReplicas * cpu) / target - 1e-9);
  const cpu = fmt(last.cpuPercent);

  if (
    consecutive(recent, nowMs, TT_OUT_MINUTES) &&
    recent.slice(-TT_OUT_MINUTES).every((p) => p.cpuPercent > target)
  ) {
    const desired = Math.min(config.maxCapacity, desiredFor(last.cpuPercent));
    if (desired > total) {
      return {
        action: "add",
        count: desired - total,
        reason: `CPU ${cpu}% above the ${target}% target for ${TT_OUT_MINUTES} minutes: ${plural(desired, "replica")} wanted, ${total} ready and creating`,
      };
    }
    return {
      action: "none",
      reason: `CPU ${cpu}% above target, but ${plural(total, "replica")} ready and creating already meet the desired ${Math.min(desired, config.maxCapacity)}${total >= config.maxCapacity ? " (the maximum)" : ""}`,
    };
  }

  const low = target * TT_IN_FRACTION;
  if (consecutive(recent, nowMs, TT_IN_MINUTES) && recent.every((p) => p.cpuPercent < low)) {
    const desired = Math.max(config.minCapacity, desiredFor(last.cpuPercent));
    if (desired >= total)
      return { action: "none", reason: `CPU ${cpu}% is low, but ${total} is already the desired capacity` };
    const wait = cooldownLeft(nowMs, input.lastScaleInAt, config.scaleInCooldownSeconds);
    if (wait > 0) return { action: "none", reason: `CPU ${cpu}% is low; scale-in cooldown: ${wait} s left` };
    return removeDecision(
      input,
      total - desired,
      `CPU below ${fmt(low)}% for ${TT_IN_MINUTES} minutes (${cpu}%): ${plural(desired, "replica")} wanted of ${total}`,
    );
  }
  return { action: "none", reason: `CPU ${cpu}% is within the target's alarms` };
}
