import { DEFAULT_MAX_LAG_SECONDS } from "../autoscale/reader.js";
import { DEFAULT_INTERVAL_SECONDS } from "../autoscale/runner-clock.js";
import type { AutoscaleRunner, RunnerEvent } from "../autoscale/runner-types.js";
import { userError } from "../errors.js";
import type { Desired } from "../model/desired-types.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";

/** The shortest step `--interval` allows (tests and demonstrations run the policy this much faster). */
export const MIN_INTERVAL_SECONDS = 0.2;
export const MAX_INTERVAL_SECONDS = 3600;

export interface RunOptions {
  /** One step, then return. */
  once?: boolean;
  /** Seconds per step (default 60); each step counts as a minute of the policy's clock. */
  intervalSeconds?: number;
  /** The reader endpoint's bound on replication lag, seconds (default DB_READ_REPLICA_MAX_LAG_SECONDS). */
  maxLagSeconds?: number;
  /** Aborting it stops the runner cleanly. */
  signal?: AbortSignal;
  onEvent?(e: RunnerEvent): void;
  target?: Target;
}

/**
 * The target's autoscaling runner. The local one lives beside the local target; the AWS one is the
 * Lambda function `up` deploys (the target's `autoscaler`), read or run from here.
 */
export async function autoscalerOf(
  ctx: CommandContext,
  target: Target,
  desired: Desired,
): Promise<AutoscaleRunner | null> {
  if (target.autoscaler) return target.autoscaler(desired);
  if (target.name !== "local") return null;
  const { localAutoscaler } = await import("../targets/local/autoscale.js");
  return localAutoscaler(ctx, desired);
}

/**
 * `ebdb autoscale run [--once] [--interval S] [--max-lag S]`: runs the read-replica autoscaler until
 * `signal` aborts (or one step with `once`). Errors: BAD_INTERVAL, BAD_MAX_LAG, REPLICAS_OFF,
 * NOT_CREATED, NOT_SUPPORTED (exit 2); BUSY (another runner), READER_PORT_TAKEN (exit 1).
 */
export async function runAutoscaler(ctx: CommandContext, opts: RunOptions = {}): Promise<void> {
  const intervalSeconds = opts.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  if (!(intervalSeconds >= MIN_INTERVAL_SECONDS && intervalSeconds <= MAX_INTERVAL_SECONDS)) {
    throw userError(
      "BAD_INTERVAL",
      `--interval ${intervalSeconds} is not a number of seconds from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS}.`,
      "Leave it out for one step a minute (the metric's period); a shorter step runs the policy faster, for tests and demonstrations.",
    );
  }
  if (opts.maxLagSeconds !== undefined && !(opts.maxLagSeconds >= 0 && opts.maxLagSeconds <= 86_400)) {
    throw userError(
      "BAD_MAX_LAG",
      `--max-lag ${opts.maxLagSeconds} is not a number of seconds from 0 to 86400.`,
      `For example --max-lag 30; the default is DB_READ_REPLICA_MAX_LAG_SECONDS (${DEFAULT_MAX_LAG_SECONDS} unless config.env sets it).`,
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  const maxLagSeconds = opts.maxLagSeconds ?? desired.config.replicas.maxLagSeconds;
  const runner = await autoscalerOf(ctx, target, desired);
  if (!runner) {
    throw userError(
      "NOT_SUPPORTED",
      `autoscale run is not available on the ${target.name} target yet: its runner (a Lambda function that \`up\` deploys) is not built.`,
      "Run it on the local target (--target local), or try `ebdb autoscale simulate` to see what the policy would do.",
    );
  }
  await runner.run({
    once: opts.once ?? false,
    intervalSeconds,
    maxLagSeconds,
    signal: opts.signal,
    onEvent: opts.onEvent ?? (() => {}),
  });
}
