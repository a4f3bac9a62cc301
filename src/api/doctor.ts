import type { HealthObservation } from "../doctor/observation.js";
import { runChecks } from "../doctor/registry.js";
import type { CheckResult, DoctorReport } from "../doctor/types.js";
import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import { readerCheck } from "./autoscale-reader.js";
import type { CommandContext } from "./context.js";
import { notOffered, openDay2 } from "./day2-common.js";

export interface DoctorOptions {
  /** A replica's or restored instance's name (default: the primary). */
  instance?: string;
  /** Seconds a statement may run before the long-queries check counts it (default 5, the spec's). */
  longQuerySeconds?: number;
  target?: Target;
}

/** --long-query-seconds: a positive number of seconds, else BAD_SECONDS (exit 2) naming the flag. */
export function checkLongQuerySeconds(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !Number.isFinite(n) || n <= 0 || n > 86_400) {
    throw userError(
      "BAD_SECONDS",
      `--long-query-seconds ${text} is not a number of seconds from 0.1 to 86400.`,
      "For example --long-query-seconds 5 (the default) or 0.5.",
    );
  }
  return n;
}

/**
 * `ebdb doctor`: every check (doctor/registry.ts) over what the target observes of one instance.
 * Reads only. Returns the report and the observation it judged.
 */
export async function doctor(
  ctx: CommandContext,
  opts: DoctorOptions = {},
): Promise<DoctorReport & { observation: HealthObservation }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.observeHealth) notOffered(target, "doctor", "it cannot observe the database's health");
  const observation = await target.observeHealth(desired, { instance: opts.instance });
  const report = runChecks(
    observation,
    opts.longQuerySeconds ? { longQuerySeconds: opts.longQuerySeconds } : {},
  );
  // The reader address `env` hands out, when the database has one: it must accept connections.
  const reader = opts.instance
    ? null
    : await readerCheck(ctx, target, desired).catch(
        (e: Error): CheckResult => ({
          id: "reader-endpoint",
          status: "skipped",
          summary: `could not tell the reader address: ${e.message}`,
          observed: {},
          fix: null,
        }),
      );
  if (reader) report.checks.push(reader);
  return { ...report, observation };
}

/** Exit status of a report: 1 when any check is red. */
export function doctorExitCode(r: DoctorReport): 0 | 1 {
  return r.checks.some((c) => c.status === "red") ? 1 : 0;
}
