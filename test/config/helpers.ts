import { parseEnv } from "../../src/config/parse.js";
import { resolveConfig } from "../../src/config/resolve.js";
import type { EnvEntry } from "../../src/config/types.js";
import type { Config } from "../../src/model/config.js";
import type { Problem } from "../../src/model/problem.js";

/** The real parser, with an empty process environment. */
export function parseForTest(text: string): { entries: EnvEntry[]; problems: Problem[] } {
  return parseEnv(text, {});
}

export const FILE = "/home/dev/my-app/config.env";

/** Parses and resolves a config.env text as if it were /home/dev/my-app/config.env. */
export function resolveText(text: string, file = FILE): { config: Config | null; problems: Problem[] } {
  const parsed = parseForTest(text);
  const r = resolveConfig(file, parsed.entries, {});
  return { config: r.config, problems: [...parsed.problems, ...r.problems] };
}

export function errors(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "error");
}

export function warnings(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "warning");
}

/** A config.env from key/value pairs, one `KEY="value"` per line. */
export function envText(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${v}"`)
    .join("\n");
}
