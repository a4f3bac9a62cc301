import { validate } from "../../api/validate.js";
import { countProblems, fileLabel, formatProblemList, problemsJson } from "../../config/format-problem.js";
import type { Problem } from "../../model/problem.js";
import { type CliContext, type Output, printJson } from "../output.js";

/** `ebdb validate [--json]`: exit 0 when valid (warnings on stderr), 2 listing every problem. */
export async function run(cli: CliContext): Promise<number> {
  const r = await validate(cli.ctx);
  const label = fileLabel(r.file, cli.ctx.cwd);
  if (cli.flags.json) {
    printJson(cli.output, { ok: r.ok, file: r.file, ...problemsJson(r.problems) });
  } else {
    printProblems(cli.output, label, r.problems);
    if (r.ok)
      cli.output.out(`${label} is valid${r.problems.length > 0 ? ` (${countProblems(r.problems)})` : ""}.`);
  }
  return r.ok ? 0 : 2;
}

/**
 * Each problem as `file:line: severity: KEY: message` with its hint (the first hundred, then how many
 * more), then a count when there are errors.
 */
export function printProblems(output: Output, label: string, problems: readonly Problem[]): void {
  const lines = formatProblemList(label, problems);
  if (lines.length > 0) output.err(lines.join("\n"));
  if (problems.some((p) => p.severity === "error")) output.err(`${label}: ${countProblems(problems)}`);
}
