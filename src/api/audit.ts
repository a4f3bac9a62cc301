import { runAudit } from "../audit/practices.js";
import type { AuditObservation, AuditReport } from "../audit/types.js";
import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { notOffered, openDay2 } from "./day2-common.js";

export interface AuditApiOptions {
  /** A restore test counts for this many days (default 90). */
  restoreWithinDays?: number;
  target?: Target;
}

/** --restore-days: a whole number of days from 1 to 3650, else BAD_DAYS (exit 2) naming the flag. */
export function checkRestoreDays(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 1 || n > 3650)
    throw userError(
      "BAD_DAYS",
      `--restore-days ${text} is not a whole number of days from 1 to 3650.`,
      "For example --restore-days 90 (the default: a restore test once a quarter).",
    );
  return n;
}

/**
 * `ebdb audit`: the spec's ten best practices (audit/practices.ts) over what the target observes.
 * Reads only. Returns the report and the observation it judged.
 */
export async function audit(
  ctx: CommandContext,
  opts: AuditApiOptions = {},
): Promise<AuditReport & { observation: AuditObservation }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.observeAudit) notOffered(target, "audit", "it cannot observe the database's settings");
  const observation = await target.observeAudit(desired);
  const report = runAudit(
    observation,
    opts.restoreWithinDays ? { restoreWithinDays: opts.restoreWithinDays } : {},
  );
  return { ...report, observation };
}
