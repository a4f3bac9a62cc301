import type { CommandContext } from "../api/context.js";
import { EbdbError } from "../errors.js";
import type { Config } from "../model/config.js";
import { hasErrors } from "../model/problem.js";
import {
  countProblems,
  fileLabel,
  formatProblemList,
  listedProblems,
  problemsJson,
} from "./format-problem.js";
import { parseEnv } from "./parse.js";
import { configPathFor, readConfigBytes } from "./read.js";
import { resolveConfig } from "./resolve.js";
import { redactProblems, sortProblems } from "./rules.js";
import { secretValues } from "./rules-values.js";
import type { LoadResult } from "./types.js";

// The pure core lives in resolve.ts (no I/O); this file adds reading the file through read.ts.
export { resolveConfig };

/**
 * Reads, parses and checks the configuration file (`--config`, `$EBDB_CONFIG` or ./config.env).
 * Never throws for what the file contains: every problem is in the result. It throws only when the
 * file cannot be read.
 */
export async function loadConfig(ctx: CommandContext): Promise<LoadResult> {
  const file = configPathFor(ctx);
  const bytes = await readConfigBytes(file);
  const parsed = parseEnv(bytes, ctx.env);
  const resolved = resolveConfig(file, parsed.entries, ctx.env);
  const problems = sortProblems([
    ...redactProblems(parsed.problems, secretValues(parsed.entries)),
    ...resolved.problems,
  ]);
  return { file, entries: parsed.entries, config: hasErrors(problems) ? null : resolved.config, problems };
}

/**
 * The configuration, or an EbdbError (code CONFIG_INVALID, exit 2) listing every problem, with the
 * problems in `details` for --json. Warnings go to ctx.io.
 */
export async function requireConfig(ctx: CommandContext): Promise<Config> {
  const result = await loadConfig(ctx);
  const label = fileLabel(result.file, ctx.cwd);
  if (result.config === null) {
    const errors = result.problems.filter((p) => p.severity === "error");
    throw new EbdbError({
      code: "CONFIG_INVALID",
      fault: "user",
      message: `${label} has ${countProblems(errors)}:\n${formatProblemList(label, errors).join("\n")}`,
      hint: `Fix ${errors.length === 1 ? "it" : "each one"}, then run \`ebdb validate\` to check the file again.`,
      details: { file: result.file, ...problemsJson(result.problems) },
    });
  }
  const { shown, omitted } = listedProblems(result.problems);
  for (const p of shown) {
    ctx.io.event({
      type: "warning",
      message: `${label}${p.line === undefined ? "" : `:${p.line}`}: ${p.key ? `${p.key}: ` : ""}${p.message}`,
      hint: p.hint,
    });
  }
  if (omitted > 0) {
    ctx.io.event({
      type: "warning",
      message: `${label}: and ${omitted} more warnings not shown`,
      hint: "Run `ebdb validate` to list them.",
    });
  }
  return result.config;
}
