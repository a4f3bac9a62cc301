import { validate } from "../../api/validate.js";
import { countProblems, fileLabel, formatProblem, problemJson } from "../../config/format-problem.js";
import type { Problem } from "../../model/problem.js";
import { type CliContext, type Output, printJson } from "../output.js";

/** `ebdb validate [--json]`: exit 0 when valid (warnings on stderr), 2 listing every problem. */
export async function run(cli: CliContext): Promise<number> {
  const r = await validate(cli.ctx);
  const label = fileLabel(r.file, cli.ctx.cwd);
  if (cli.flags.json) {
    printJson(cli.output, { ok: r.ok, file: r.file, problems: r.problems.map(problemJson) });
  } else {
    printProblems(cli.output, label, r.problems);
    if (r.ok)
      cli.output.out(`${label} is valid${r.problems.length > 0 ? ` (${countProblems(r.problems)})` : ""}.`);
  }
  return r.ok ? 0 : 2;
}

/** Each problem as `file:line: severity: KEY: message` with its hint, then a count when there are errors. */
export function printProblems(output: Output, label: string, problems: readonly Problem[]): void {
  for (const p of problems) output.err(formatProblem(label, p));
  if (problems.some((p) => p.severity === "error")) output.err(`${label}: ${countProblems(problems)}`);
}
