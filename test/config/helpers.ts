import { resolveConfig } from "../../src/config/resolve.js";
import type { EnvEntry } from "../../src/config/types.js";
import type { Config } from "../../src/model/config.js";
import type { Problem } from "../../src/model/problem.js";

// TEMPORARY stand-in for src/config/parse.ts until it lands: enough of bash for these tests
// (KEY=value, export, quotes, comments after whitespace, ${VAR} from earlier keys).
export function parseForTest(text: string): { entries: EnvEntry[]; problems: Problem[] } {
  const entries: EnvEntry[] = [];
  const vars = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) return;
    let rest = m[3];
    let value = "";
    if (rest.startsWith('"')) {
      const end = rest.indexOf('"', 1);
      value = rest.slice(1, end).replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k) => vars.get(k) ?? "");
      rest = rest.slice(end + 1);
    } else if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      value = rest.slice(1, end);
    } else {
      value = rest.replace(/\s+#.*$/, "");
    }
    vars.set(m[2], value);
    entries.push({ key: m[2], value, line: i + 1, exported: Boolean(m[1]) });
  });
  return { entries, problems: [] };
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
