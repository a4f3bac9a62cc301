import { userError } from "../errors.js";

export type EnvFormat = "dotenv" | "json" | "shell";

/** Which readers each format is written for (in --help, the README and errors). */
export const FORMAT_READERS: Record<EnvFormat, string> = {
  dotenv: "bash `set -a; . ./.env`, node --env-file, the dotenv package, python-dotenv",
  shell: 'eval "$(...)" in bash, dash and zsh',
  json: "any JSON reader",
};

/**
 * python-dotenv's `${NAME}` / `${NAME:-default}` interpolation, which it applies inside single and
 * double quotes alike (python-dotenv variables.py, `_posix_variable`; on by default).
 */
const PY_DOTENV_VARIABLE = /\$\{[^}:]*(?::-[^}]*)?\}/;

/**
 * A value in single quotes for the four dotenv readers, or null when single quotes cannot carry it:
 * - bash and node --env-file take everything up to the next `'` literally, and the dotenv package
 *   strips the quotes and changes nothing (no escape at all), so a `'` cannot be inside;
 * - python-dotenv unescapes `\\` and `\'` inside single quotes (parser.py, `_single_quote_escapes`),
 *   so no `\\`, and no `\` at the end (it would escape the closing quote);
 * - python-dotenv expands `${...}` even there.
 */
function singleQuoted(v: string): string | null {
  if (v.includes("'") || v.includes("\\\\") || v.endsWith("\\") || PY_DOTENV_VARIABLE.test(v)) return null;
  return `'${v}'`;
}

/**
 * A value in double quotes for the four dotenv readers, or null: bash expands `$` and backticks and
 * unescapes `\` there; node --env-file and the dotenv package turn `\n` into a newline;
 * python-dotenv unescapes `\` sequences and expands `${...}`. Without `"`, `\`, `` ` `` and `$`
 * inside, all four read the value unchanged.
 */
function doubleQuoted(v: string): string | null {
  return /["\\`$\n\r]/.test(v) ? null : `"${v}"`;
}

/** Single quotes for eval in bash, dash and zsh: nothing is special inside them but the quote itself. */
function shellQuoted(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/**
 * The variables as text in a format, each value read back exactly by every reader the format is
 * for (FORMAT_READERS):
 * - `dotenv`: `KEY='value'` lines, or `KEY="value"` for a value holding `'`; a value neither can
 *   carry to all four readers (a `'` together with `$`, `` ` `` or `\`; a `${...}`; `\\` or a
 *   trailing `\`; a line break) is refused: BAD_DOTENV_VALUE (exit 2), naming the keys (never the
 *   value) and the formats that carry it;
 * - `shell`: `export KEY='value'` lines, `'` written as `'\''`: carries any value;
 * - `json`: one object (JSON.stringify, two-space indent).
 * No quoting leaves a backtick, `$(...)` or `${...}` that any of those readers would run or expand.
 */
export function formatEnv(vars: Record<string, string>, format: EnvFormat): string {
  if (format === "json") return JSON.stringify(vars, null, 2);
  if (format === "shell") {
    return Object.entries(vars)
      .map(([k, v]) => `export ${k}=${shellQuoted(v)}`)
      .join("\n");
  }
  const lines: string[] = [];
  const refused: string[] = [];
  for (const [k, v] of Object.entries(vars)) {
    const q = singleQuoted(v) ?? doubleQuoted(v);
    if (q === null) refused.push(k);
    else lines.push(`${k}=${q}`);
  }
  if (refused.length > 0) {
    throw userError(
      "BAD_DOTENV_VALUE",
      `${refused.join(", ")} cannot be written in the dotenv format so that every reader it is for (${FORMAT_READERS.dotenv}) reads it exactly: no quoting works in all four for a value with a ' together with $, \` or \\, with \${...}, with \\\\ or a trailing \\, or with a line break.`,
      `Use --format shell (${FORMAT_READERS.shell}) or --format json (${FORMAT_READERS.json}), or run the application with \`ebdb exec -- <command>\`; or set a password without such characters (letters, digits and - _ . ~ are safe everywhere).`,
      { keys: refused },
    );
  }
  return lines.join("\n");
}
