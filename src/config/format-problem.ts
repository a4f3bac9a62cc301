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
