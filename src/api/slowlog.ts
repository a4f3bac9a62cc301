import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, notOffered, openDay2 } from "./day2-common.js";

export interface SlowlogOptions {
  /** --ms: log statements slower than this; -1 turns the slow-query log off. */
  ms: number;
  target?: Target;
}

export interface SlowlogResult {
  identifier: string;
  ms: number;
}

/** `ebdb slowlog --ms N`: the slow-query threshold (log_min_duration_statement, or long_query_time), online. */
export async function setSlowlog(ctx: CommandContext, opts: SlowlogOptions): Promise<SlowlogResult> {
  if (!Number.isInteger(opts.ms) || opts.ms < -1) {
    throw userError(
      "BAD_MS",
      `--ms ${opts.ms} is not a threshold.`,
      "Use a whole number of milliseconds, or -1 to turn the slow-query log off.",
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.setSlowQueryMs)
    notOffered(target, "slowlog", "set DB_SLOW_QUERY_MS in config.env and run ebdb up");
  await announce(ctx, target, desired);
  await target.setSlowQueryMs(desired, opts.ms, ctx.io);
  return { identifier: desired.identifier, ms: opts.ms };
}
