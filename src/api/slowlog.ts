import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, notOffered, openDay2 } from "./day2-common.js";

/**
 * The largest threshold: log_min_duration_statement is an integer number of milliseconds, so
 * INT_MAX (PostgreSQL docs, "Server Configuration: When to Log"; also DB_SLOW_QUERY_MS's maximum).
 * MySQL's long_query_time (at most 31536000 s) takes every value up to it too.
 */
export const MAX_SLOW_QUERY_MS = 2_147_483_647;

export interface SlowlogOptions {
  /** --ms: log statements slower than this; -1 turns the slow-query log off. */
  ms: number;
  target?: Target;
}

export interface SlowlogResult {
  identifier: string;
  ms: number;
}

/**
 * The threshold --ms gives, checked before anything is opened: a whole number from -1 (off) to
 * MAX_SLOW_QUERY_MS; anything else is BAD_MS, a user error (exit 2) naming the flag and the range.
 */
export function checkSlowQueryMs(ms: number, text: string = String(ms)): number {
  if (!Number.isSafeInteger(ms) || ms < -1 || ms > MAX_SLOW_QUERY_MS) {
    throw userError(
      "BAD_MS",
      Number.isSafeInteger(ms) || /^[+-]?\d+$/.test(text.trim())
        ? `--ms ${text} is out of range: the slow-query threshold is -1 (off) to ${MAX_SLOW_QUERY_MS} milliseconds.`
        : `--ms ${text} is not a whole number of milliseconds (the range is -1 to ${MAX_SLOW_QUERY_MS}).`,
      `For example --ms 500 (log statements slower than half a second), --ms 0 (every statement) or --ms -1 (off); PostgreSQL's log_min_duration_statement takes at most ${MAX_SLOW_QUERY_MS}.`,
    );
  }
  return ms;
}

/** `ebdb slowlog --ms N`: the slow-query threshold (log_min_duration_statement, or long_query_time), online. */
export async function setSlowlog(ctx: CommandContext, opts: SlowlogOptions): Promise<SlowlogResult> {
  checkSlowQueryMs(opts.ms);
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.setSlowQueryMs)
    notOffered(target, "slowlog", "set DB_SLOW_QUERY_MS in config.env and run ebdb up");
  await announce(ctx, target, desired);
  await target.setSlowQueryMs(desired, opts.ms, ctx.io);
  return { identifier: desired.identifier, ms: opts.ms };
}
