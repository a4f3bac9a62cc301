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
  target?: Target;
}

/** `ebdb logs [-f] [--node name]`: the server log as chunks of text; with follow, until the signal aborts. */
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
  });
}
