import { requireConfig } from "../config/load.js";
import type { Plan } from "../model/change.js";
import type { Config, TargetName } from "../model/config.js";
import { deriveDesired } from "../model/desired.js";
import type { Desired } from "../model/desired-types.js";
import type { Observed } from "../model/observed.js";
import { explainCallerDependence } from "../plan/caller-env.js";
import { diff, emptyObserved } from "../plan/diff.js";
import { buildTopology, type Topology } from "../plan/topology.js";
import type { PoolSizing } from "../pooling/sizing.js";
import { instancesFor, sizingFor } from "../pooling/sizing-for.js";
import { MAX_CONNECTIONS } from "../targets/local/conf.js";
import { openTarget } from "../targets/select.js";
import type { Target } from "../targets/target.js";
import { type CommandContext, targetOf } from "./context.js";

export interface OfflinePlan {
  target: TargetName;
  identifier: string;
  /** What `up` would do against nothing: every change a create. */
  plan: Plan;
  topology: Topology;
  /** The pool sizing arithmetic and its warnings; null when the instance class's max_connections is unknown. */
  pooling: PoolSizing | null;
}

export interface OnlinePlan {
  target: TargetName;
  identifier: string;
  plan: Plan;
  /** As in OfflinePlan. */
  pooling: PoolSizing | null;
}

export interface OnlinePlanOptions {
  /** Plan replacements (encryption, KMS key) instead of refusing them, as `up --allow-replace` would. */
  allowReplace?: boolean;
  /** The clock for the storage-change rules (tests). */
  now?: Date;
  /** A target to use instead of the one the context names (tests). */
  target?: Target;
}

/**
 * How the configuration's connections fit the server (pooling/sizing.ts), pure: max_connections (RDS's
 * default for the class on AWS, the local servers' own), the reserves, and the application instances
 * at most (EB's default MaxSize on AWS, one locally).
 */
export function poolingOf(desired: Desired, observed?: Observed): PoolSizing | null {
  const max = observed?.eb?.maxInstances;
  const env = max ? { count: max, environment: desired.config.ebEnvironment } : undefined;
  return sizingFor(desired, instancesFor(desired.target, undefined, env), MAX_CONNECTIONS);
}

/** The offline plan of a configuration: its topology, and the plan against an empty target. Pure. */
export function offlinePlanOf(config: Config, target: TargetName): OfflinePlan {
  const desired = deriveDesired(config, target);
  return {
    target,
    identifier: config.identifier,
    plan: diff(desired, emptyObserved(target)),
    topology: buildTopology(desired),
    pooling: poolingOf(desired),
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
  return { target: name, identifier: config.identifier, plan, pooling: poolingOf(desired, observed) };
}
