import { isAbsolute, relative } from "node:path";
import type { Problem } from "../model/problem.js";

/** How to name the config file in messages: relative to the working folder when inside it. */
export function fileLabel(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

/** `config.env:12: error: KEY: message` and the hint indented on the next line, like a compiler. */
export function formatProblem(label: string, p: Problem): string {
  const where = p.line === undefined ? label : `${label}:${p.line}`;
  const head = `${where}: ${p.severity}: ${p.key ? `${p.key}: ` : ""}${p.message}`;
  return p.hint ? `${head}\n  ${p.hint}` : head;
}

/** The JSON shape of a problem: every field present, null when it does not apply. */
export function problemJson(p: Problem): {
  severity: Problem["severity"];
  key: string | null;
  line: number | null;
  message: string;
  hint: string | null;
} {
  return {
    severity: p.severity,
    key: p.key ?? null,
    line: p.line ?? null,
    message: p.message,
    hint: p.hint ?? null,
  };
}

/** "2 errors and 1 warning". */
export function countProblems(problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
  if (warnings === 0) return n(errors, "error");
  if (errors === 0) return n(warnings, "warning");
  return `${n(errors, "error")} and ${n(warnings, "warning")}`;
}

/**
 * The most problems a listing shows (text or --json). A file can hold 100,000 wrong lines; the
 * first hundred say what is wrong, and the rest would only bury the summary.
 */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * The problems a listing shows: all of them when they fit, else the first `max` with errors chosen
 * before warnings (so an exit 2 always shows why), kept in line order. `omitted` is how many are not.
 */
export function listedProblems(
  problems: readonly Problem[],
  max = MAX_LISTED_PROBLEMS,
): { shown: Problem[]; omitted: number } {
  if (problems.length <= max) return { shown: [...problems], omitted: 0 };
  const errors = problems.filter((p) => p.severity === "error");
  const keep = new Set(
    errors.length >= max
      ? errors.slice(0, max)
      : [...errors, ...problems.filter((p) => p.severity !== "error").slice(0, max - errors.length)],
  );
  return { shown: problems.filter((p) => keep.has(p)), omitted: problems.length - max };
}

/** Each shown problem formatted, then `label: and K more problems not shown (…)` when some are left out. */
export function formatProblemList(
  label: string,
  problems: readonly Problem[],
  max = MAX_LISTED_PROBLEMS,
): string[] {
  const { shown, omitted } = listedProblems(problems, max);
  const lines = shown.map((p) => formatProblem(label, p));
  if (omitted > 0) {
    const listed = new Set(shown);
    const rest = problems.filter((p) => !listed.has(p));
    lines.push(
      `${label}: and ${omitted} more problem${omitted === 1 ? "" : "s"} not shown (${countProblems(rest)}); fix these first, then run \`ebdb validate\` again.`,
    );
  }
  return lines;
}

/**
 * The --json form of a list of problems: at most `max` in `problems`, with the totals (`errors`,
 * `warnings`) and how many were left out (`omitted`), so a script sees the whole count.
 */
export function problemsJson(
  problems: readonly Problem[],
  max = MAX_LISTED_PROBLEMS,
): { problems: ReturnType<typeof problemJson>[]; errors: number; warnings: number; omitted: number } {
  const { shown, omitted } = listedProblems(problems, max);
  const errors = problems.filter((p) => p.severity === "error").length;
  return { problems: shown.map(problemJson), errors, warnings: problems.length - errors, omitted };
}
