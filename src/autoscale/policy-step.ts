import { cooldownLeft, enforceBounds, fmt, latest, MINUTE_MS, removeDecision } from "./common.js";
import type { Decision, PolicyInput } from "./types.js";

/**
 * Step scaling as the user guide words it (database-setup-guide.md, "Read Replica Autoscaling"):
 * "when average CPU exceeds target, adds a replica; when average CPU drops below target, removes a
 * replica; scaling respects min/max capacity limits; cooldown periods prevent rapid scaling". Each
 * minute past the target is a breach; the cooldowns are as config.env describes them: seconds to wait
 * after a scaling action (either kind) before adding, or before removing, a replica.
 */
export function stepPolicy(input: PolicyInput): Decision {
  const bounded = enforceBounds(input);
  if (bounded) return bounded;
  const { config, nowMs } = input;
  const last = input.history.at(-1);
  if (!last || last.atMs !== nowMs - MINUTE_MS)
    return { action: "none", reason: "no CPU data for the last minute" };
  const target = config.targetCpuPercent;
  const cpu = fmt(last.cpuPercent);
  const since = latest(input.lastScaleOutAt, input.lastScaleInAt);
  if (last.cpuPercent > target) {
    if (input.replicas.length >= config.maxCapacity)
      return { action: "none", reason: `CPU ${cpu}% above target, at the maximum` };
    const wait = cooldownLeft(nowMs, since, config.scaleOutCooldownSeconds);
    if (wait > 0)
      return { action: "none", reason: `CPU ${cpu}% above target; scale-out cooldown: ${wait} s left` };
    return { action: "add", count: 1, reason: `CPU ${cpu}% is above the ${target}% target: add one replica` };
  }
  if (last.cpuPercent < target && input.replicas.length > config.minCapacity) {
    const wait = cooldownLeft(nowMs, since, config.scaleInCooldownSeconds);
    if (wait > 0)
      return { action: "none", reason: `CPU ${cpu}% below target; scale-in cooldown: ${wait} s left` };
    return removeDecision(input, 1, `CPU ${cpu}% is below the ${target}% target`);
  }
  return { action: "none", reason: `CPU ${cpu}%` };
}
