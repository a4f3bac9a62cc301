import { userError } from "../errors.js";
import { type Plan, worstImpact } from "../model/change.js";
import { explainCallerDependence } from "../plan/caller-env.js";
import { diff } from "../plan/diff.js";
import type { Target } from "../targets/target.js";
import { requireConfig } from "../config/load.js";
import { deriveDesired } from "../model/desired.js";
import type { Desired } from "../model/desired-types.js";
import { openTarget } from "../targets/select.js";
import { type CommandContext, targetOf } from "./context.js";
import { announce } from "./day2-common.js";

export interface UpOptions {
  /** Plan changes that replace the instance instead of refusing them (--allow-replace). */
  allowReplace?: boolean;
  /** Apply disruptive changes now instead of in the maintenance window (--apply-immediately, AWS). */
  applyImmediately?: boolean;
  /** A target to use instead of the one the context names (tests). */
  target?: Target;
  now?: Date;
}

export interface UpResult {
  target: "local" | "aws";
  identifier: string;
  /** What up found to do (changes, refused changes, notes). */
  plan: Plan;
  /** Changes made. */
  applied: number;
  /** False when everything already matched the configuration. */
  changed: boolean;
}

/**
 * `ebdb up`: observes the target, plans with the same diff for both targets (plus what the target
 * itself found: processes to start, nodes to rebuild, backups due), asks before anything beyond
 * `none` and before removing a read replica, and applies. Running it again right after changes nothing.
 */
export async function up(ctx: CommandContext, opts: UpOptions = {}): Promise<UpResult> {
  // The configuration and the target's code load at the same time (up is worth every millisecond).
  const [config, target] = await Promise.all([requireConfig(ctx), opts.target ?? openTarget(ctx)]);
  const desired = deriveDesired(config, targetOf(ctx));
  await announce(ctx, target, desired);
  // One writer from what it observes to what it applies: a plan made from a state that another
  // command is changing would be wrong by the time it is applied.
  const locked = target.lock?.bind(target) ?? (<T>(_d: Desired, _w: string, fn: () => Promise<T>) => fn());
  return locked(desired, "up", () => planAndApply(ctx, target, desired, opts));
}

async function planAndApply(
  ctx: CommandContext,
  target: Target,
  desired: Desired,
  opts: UpOptions,
): Promise<UpResult> {
  const observed = await target.observe(desired);
  // diff merges what the target found itself (observed.drift: processes to start, backups due...).
  const plan = explainCallerDependence(
    diff(desired, observed, { allowReplace: opts.allowReplace, now: opts.now }),
    desired.config,
  );
  ctx.io.event({ type: "plan", plan });
  const base = { target: target.name, identifier: desired.identifier, plan };
  for (const r of plan.refused) ctx.io.event({ type: "warning", message: `Not done: ${r.reason}` });
  if (plan.changes.length === 0) {
    ctx.io.event({
      type: "result",
      // Refused changes are not made, and not asked about: up succeeds, saying what it will not do.
      message: plan.refused.length
        ? `${desired.identifier}: nothing applied; ${plan.refused.length} change(s) refused (see "Not done" above).`
        : `${desired.identifier} matches the configuration: nothing to change.`,
    });
    return { ...base, applied: 0, changed: false };
  }
  await confirmPlan(ctx, plan, desired.identifier);
  const result = await target.apply(plan, desired, ctx.io, { applyImmediately: opts.applyImmediately });
  ctx.io.event({ type: "result", message: `${desired.identifier}: ${result.applied} change(s) applied.` });
  return { ...base, applied: result.applied, changed: result.applied > 0 };
}

/**
 * Asks before anything beyond `none`, and before removing a read replica (whose impact on the
 * database is `none`, but reads sent to it fail): the same question `ebdb replica remove` asks,
 * so without a terminal it needs --yes like every other confirmation. Throws ABORTED on no.
 */
async function confirmPlan(ctx: CommandContext, plan: Plan, identifier: string): Promise<void> {
  const disruptive = plan.changes.filter((c) => c.impact !== "none");
  // A replica's slot drop is also a replica delete, with a field: it removes no node.
  const removed = plan.changes
    .filter((c) => c.kind === "replica" && c.action === "delete" && c.field === undefined)
    .map((c) => c.resource);
  if (disruptive.length === 0 && removed.length === 0) return;
  const worst = worstImpact(plan.changes.map((c) => c.impact));
  const them = removed.length > 1 ? "them" : "it";
  const parts = [
    removed.length > 0
      ? `Apply ${plan.changes.length} change(s) to ${identifier}, removing read replica${removed.length > 1 ? "s" : ""} ${removed.join(", ")}? Reads sent to ${them} will fail.`
      : `Apply ${plan.changes.length} change(s) to ${identifier}?`,
  ];
  if (disruptive.length > 0) {
    parts.push(
      `${disruptive.length} of them disrupt it (worst: ${worst}): ${disruptive.map((c) => c.reason).join("; ")}.`,
    );
  }
  if (!(await ctx.io.confirm({ message: parts.join(" "), impact: worst }))) {
    throw userError("ABORTED", "Nothing was changed.", "Run `ebdb plan` to review the changes.");
  }
}
