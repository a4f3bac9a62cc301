import { requireConfig } from "../config/load.js";
import type { Plan } from "../model/change.js";
import type { Config, TargetName } from "../model/config.js";
import { deriveDesired } from "../model/desired.js";
import { explainCallerDependence } from "../plan/caller-env.js";
import { diff, emptyObserved } from "../plan/diff.js";
import { buildTopology, type Topology } from "../plan/topology.js";
import { openTarget } from "../targets/select.js";
import type { Target } from "../targets/target.js";
import { type CommandContext, targetOf } from "./context.js";

export interface OfflinePlan {
  target: TargetName;
  identifier: string;
  /** What `up` would do against nothing: every change a create. */
  plan: Plan;
  topology: Topology;
}

export interface OnlinePlan {
  target: TargetName;
  identifier: string;
  plan: Plan;
}

export interface OnlinePlanOptions {
  /** Plan replacements (encryption, KMS key) instead of refusing them, as `up --allow-replace` would. */
  allowReplace?: boolean;
  /** The clock for the storage-change rules (tests). */
  now?: Date;
  /** A target to use instead of the one the context names (tests). */
  target?: Target;
}

/** The offline plan of a configuration: its topology, and the plan against an empty target. Pure. */
export function offlinePlanOf(config: Config, target: TargetName): OfflinePlan {
  const desired = deriveDesired(config, target);
  return {
    target,
    identifier: config.identifier,
    plan: diff(desired, emptyObserved(target)),
    topology: buildTopology(desired),
  };
}

/**
 * `ebdb plan --offline`: the topology config.env asks for, from the configuration alone (no
 * credentials, no network, no processes).
 */
export async function planOffline(ctx: CommandContext): Promise<OfflinePlan> {
  const config = await requireConfig(ctx);
  return offlinePlanOf(config, targetOf(ctx));
}

/** `ebdb plan`: what `up` would change, from the target's live state. Changes nothing. */
export async function planOnline(ctx: CommandContext, opts: OnlinePlanOptions = {}): Promise<OnlinePlan> {
  const config = await requireConfig(ctx);
  const name = targetOf(ctx);
  const desired = deriveDesired(config, name);
  const target = opts.target ?? (await openTarget(ctx));
  const observed = await target.observe(desired);
  const plan = explainCallerDependence(
    diff(desired, observed, { allowReplace: opts.allowReplace, now: opts.now }),
    config,
  );
  return { target: name, identifier: config.identifier, plan };
}
