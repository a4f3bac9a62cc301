import { type TopFrame, topFrame } from "../doctor/top-frame.js";
import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { notOffered, openDay2 } from "./day2-common.js";

export interface TopOptions {
  /** A replica's or restored instance's name (default: the primary). */
  instance?: string;
  target?: Target;
}

/** --interval: seconds between refreshes, 0.5 to 3600, else BAD_SECONDS (exit 2) naming the flag. */
export function checkInterval(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !Number.isFinite(n) || n < 0.5 || n > 3600) {
    throw userError(
      "BAD_SECONDS",
      `--interval ${text} is not a number of seconds from 0.5 to 3600.`,
      "For example --interval 2 (the default) or 0.5.",
    );
  }
  return n;
}

/**
 * `ebdb top`: opens the project once and returns `next()`, which observes the instance (the
 * target's light health observation: no connection-path steps, no history kept) and returns its
 * frame, with query rates since the previous call. Reads only.
 */
export async function openTop(
  ctx: CommandContext,
  opts: TopOptions = {},
): Promise<{ next(): Promise<TopFrame> }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.observeHealth) notOffered(target, "top", "it cannot observe the database's health");
  const observe = target.observeHealth.bind(target);
  let prev: TopFrame | null = null;
  return {
    async next() {
      const o = await observe(desired, { instance: opts.instance, light: true });
      prev = topFrame(o, prev);
      return prev;
    },
  };
}
