import type { CommandContext } from "../api/context.js";
import { EbdbError } from "../errors.js";
import type { Config } from "../model/config.js";
import { hasErrors, type Problem } from "../model/problem.js";
import {
  countProblems,
  fileLabel,
  formatProblemList,
  listedProblems,
  problemsJson,
} from "./format-problem.js";
import { parseEnv } from "./parse.js";
import { fileMode, findConfigFile, readConfigBytes } from "./read.js";
import { resolveConfig } from "./resolve.js";
import { redactProblems, sortProblems } from "./rules.js";
import { keyDef } from "./schema.js";
import { secretValues } from "./rules-values.js";
import type { EnvEntry } from "./types.js";
import type { LoadResult } from "./types.js";

// The pure core lives in resolve.ts (no I/O); this file adds reading the file through read.ts.
export { resolveConfig };

/**
 * Reads, parses and checks the configuration file (`--config`, `$EBDB_CONFIG`, or the nearest
 * config.env in the working folder or above: see findConfigFile). One taken from a folder above is
 * named in an info event, so the user sees which project's file is used. Never throws for what the
 * file contains: every problem is in the result. It throws only when the file cannot be found or read.
 */
export async function loadConfig(ctx: CommandContext): Promise<LoadResult> {
  const { file, how } = await findConfigFile(ctx);
  const bytes = await readConfigBytes(file);
  if (how === "parent") {
    ctx.io.event({ type: "info", message: `Using ${file} (the nearest config.env above this folder)` });
  }
  const parsed = parseEnv(bytes, ctx.env);
  const resolved = resolveConfig(file, parsed.entries, ctx.env);
  const problems = sortProblems([
    ...redactProblems(parsed.problems, secretValues(parsed.entries)),
    ...resolved.problems,
    ...(await readableSecrets(file, parsed.entries)),
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

/**
 * A warning when the file holds a secret (DB_MASTER_PASSWORD) and other users may read it: locally
 * every other project's server runs as another OS user, and could.
 */
async function readableSecrets(file: string, entries: readonly EnvEntry[]): Promise<Problem[]> {
  const secret = entries.find((e) => keyDef(e.key)?.secret && e.value !== "");
  if (!secret) return [];
  const mode = await fileMode(file);
  if ((mode & 0o077) === 0) return [];
  return [
    {
      severity: "warning",
      key: secret.key,
      line: secret.line,
      message: `the file holds ${secret.key} and other users may read it (mode ${(mode & 0o777).toString(8).padStart(4, "0")})`,
      hint: `Run \`chmod 600 ${file}\`, or leave ${secret.key} empty: ebdb then generates the password and keeps it where only it can read (Secrets Manager on AWS).`,
    },
  ];
}
