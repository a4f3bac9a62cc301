import { loadConfig } from "../config/load.js";
import { hasErrors, type Problem } from "../model/problem.js";
import type { CommandContext } from "./context.js";

export interface ValidateResult {
  /** No errors (warnings allowed). */
  ok: boolean;
  /** Absolute path of the file checked. */
  file: string;
  /** Every problem, errors and warnings, in line order. */
  problems: Problem[];
}

/** Checks the configuration file against every rule; never throws for what the file contains. */
export async function validate(ctx: CommandContext): Promise<ValidateResult> {
  const r = await loadConfig(ctx);
  return { ok: !hasErrors(r.problems), file: r.file, problems: r.problems };
}
