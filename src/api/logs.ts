import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";

export interface LogsOptions {
  /** A replica's or restored instance's name (default: the primary). */
  node?: string;
  follow?: boolean;
  lines?: number;
  signal?: AbortSignal;
  /** Only the slow statements (those longer than DB_SLOW_QUERY_MS, as the server logs them). */
  slow?: boolean;
  /** Only what was logged from then on. */
  since?: Date;
  target?: Target;
}

/**
 * --since: an ISO-8601 time with a zone (2026-01-15T12:00:00Z) or a duration back from now (90s, 15m,
 * 2h, 7d), else BAD_SINCE (exit 2) naming the flag. `now` is the clock (tests pass the fake's).
 */
export function parseSince(text: string, now: Date = new Date()): Date {
  const d = /^\s*(\d+)\s*(s|m|h|d)\s*$/.exec(text);
  if (d)
    return new Date(now.getTime() - Number(d[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[d[2] as "s"] * 1000);
  const t = /(Z|[+-]\d{2}:?\d{2})$/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(t))
    throw userError(
      "BAD_SINCE",
      `--since ${text} is neither a time with a zone nor a duration.`,
      "For example --since 15m, --since 2h, --since 1d, or --since 2026-01-15T12:00:00Z.",
    );
  return new Date(t);
}

/** `ebdb logs [-f] [--node name] [--slow] [--since T]`: the server log as chunks of text; with follow, until the signal aborts. */
export async function logs(ctx: CommandContext, opts: LogsOptions = {}): Promise<AsyncIterable<string>> {
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.logs) {
    throw userError("NOT_SUPPORTED", `logs is not available on the ${target.name} target.`);
  }
  return target.logs(desired, {
    node: opts.node,
    follow: opts.follow,
    lines: opts.lines,
    signal: opts.signal,
    slow: opts.slow,
    since: opts.since,
  });
}
