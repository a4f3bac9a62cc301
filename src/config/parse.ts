import type { Problem } from "../model/problem.js";
import { type SourceLine, splitLines } from "./lex-lines.js";
import { parseLine } from "./parse-line.js";
import { Refusal } from "./parse-refusal.js";
import type { ExpansionRef, Lookup } from "./parse-value.js";
import type { CallerRef, EnvEntry, ParseResult } from "./types.js";

/**
 * Reads config.env as bash would with `set -a; . ./config.env`, for the subset of shell it
 * accepts: `[export] KEY=value` lines (several per line allowed), single and double quotes,
 * backslash escapes, `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `~` at the start
 * of a value or after `:`, comments and blank lines. Variables come from keys assigned earlier in
 * the file, then from `env`, else are empty.
 *
 * Anything else (command substitution, arithmetic, arrays, values spanning lines, a word bash
 * would run as a command, invalid UTF-8...) is refused with its line: never run, never misread.
 * Deviations from bash: a UTF-8 BOM at the start and the CR of CRLF line ends are dropped (bash
 * would keep the CR in the value).
 *
 * Pure and total: never throws, whatever the input. Entries are in file order; a key assigned
 * twice appears twice (the later one wins, as in bash). A line with a problem gives no entry.
 */
export function parseEnv(
  input: string | Uint8Array,
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  const entries: EnvEntry[] = [];
  const problems: Problem[] = [];
  const vars = new Map<string, string>();
  const fromEnv = (name: string) => {
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    return typeof value === "string" ? value : undefined;
  };
  const lookup: Lookup = (name) => (vars.has(name) ? vars.get(name) : fromEnv(name));
  // The line of each variable's latest assignment when its value depends on the caller's environment.
  const dependent = new Map<string, number>();
  let lines: SourceLine[];
  try {
    lines = splitLines(input);
  } catch (e) {
    return { entries, problems: [internalProblem(1, e)] };
  }
  const unclosed = new Set<string>();
  // What $NAME expansions may add to one line: `A="$A$A"` repeated doubles a value per line, and
  // 30 such lines would otherwise need gigabytes.
  let expanded = 0;
  const budgeted: Lookup = (name) => {
    const value = lookup(name);
    expanded += value?.length ?? 0;
    if (expanded > MAX_EXPANDED_CHARS) throw tooMuchExpansion();
    return value;
  };
  for (let n = 0; n < lines.length; n++) {
    const { text, defect } = lines[n];
    const line = n + 1;
    if (defect) {
      problems.push(defectProblem(line, defect));
      continue;
    }
    try {
      expanded = 0;
      const parsed = parseLine(text, budgeted);
      // Each value is judged against the assignments above this line (and those before it on the
      // line), so the line's entries all exist before any of them counts as "above".
      const first = entries.length;
      let onLine: Set<string> | undefined;
      for (const { key, value, refs } of parsed.assignments) {
        const entry: EnvEntry = { key, value, line, exported: parsed.exported };
        if (refs && traceCaller(entry, refs, vars, dependent, onLine, fromEnv)) {
          onLine ??= new Set();
          onLine.add(key);
        }
        entries.push(entry);
      }
      for (let k = first; k < entries.length; k++) {
        const entry = entries[k];
        vars.set(entry.key, entry.value);
        if (entry.fromCaller || entry.via !== undefined) dependent.set(entry.key, line);
        else if (dependent.size > 0) dependent.delete(entry.key);
      }
    } catch (e) {
      if (!(e instanceof Refusal)) {
        problems.push(internalProblem(line, e));
        continue;
      }
      const joined =
        e.kind === "open-quote" ? closingLine(lines, n, e.at, e.quote ?? '"', unclosed) : undefined;
      problems.push(refusalProblem(text, line, e, joined === undefined ? undefined : joined + 1));
      // Lines bash would read as part of this one are not statements of their own.
      if (joined !== undefined) n = joined;
      else if (e.kind === "continuation") n = lastJoinedLine(lines, n);
    }
  }
  return { entries, problems };
}

/**
 * Notes on `entry` what its value takes from the caller's environment: `fromCaller`, the expansions
 * no assignment above defines; `via`, the first line above (or this one) whose caller-dependent value
 * it uses. Returns whether the value depends on the caller. Plain loops and no allocation unless
 * there is something to note: it runs for every expansion of every line.
 */
function traceCaller(
  entry: EnvEntry,
  refs: readonly ExpansionRef[],
  vars: ReadonlyMap<string, string>,
  dependent: ReadonlyMap<string, number>,
  onLine: ReadonlySet<string> | undefined,
  fromEnv: (name: string) => string | undefined,
): boolean {
  let fromCaller: CallerRef[] | undefined;
  let via: number | undefined;
  for (const r of refs) {
    if (r.sameLine) {
      if (via === undefined && onLine?.has(r.name)) via = entry.line;
    } else if (!vars.has(r.name)) {
      const ref: CallerRef = { name: r.name, syntax: r.syntax, set: fromEnv(r.name) !== undefined };
      if (fromCaller) fromCaller.push(ref);
      else fromCaller = [ref];
    } else if (via === undefined && dependent.size > 0) {
      via = dependent.get(r.name);
    }
  }
  if (fromCaller) entry.fromCaller = fromCaller;
  if (via !== undefined) entry.via = via;
  return fromCaller !== undefined || via !== undefined;
}

/** The most characters $NAME expansions may add to one line (64 KiB): no real value comes near. */
export const MAX_EXPANDED_CHARS = 64 * 1024;

function tooMuchExpansion(): Refusal {
  return new Refusal(
    -1,
    `the $NAME expansions on this line add more than ${MAX_EXPANDED_CHARS} characters (64 KiB)`,
    'A configuration value is short text: write it out, or check for a variable that includes itself (A="$A$A").',
  );
}

function refusalProblem(text: string, line: number, e: Refusal, closedOn: number | undefined): Problem {
  const key = e.key;
  const where = e.at >= 0 ? ` (column ${columnOf(text, e.at)})` : "";
  const message =
    closedOn === undefined
      ? `${e.message}${where}`
      : `the ${e.quote === "'" ? "single" : "double"} quote${where} is closed only on line ${closedOn}: values cannot span lines`;
  return { severity: "error", line, ...(key === undefined ? {} : { key }), message, hint: e.hint };
}

/** 1-based column in characters (code points), as editors show it. */
function columnOf(text: string, at: number): number {
  let col = 1;
  for (let i = 0; i < at && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
    col++;
  }
  return col;
}

/**
 * Index of the line where a quote opened at (`n`, `at`) would close in bash, or undefined when it
 * never closes (bash would then fail at the end of the file; we go on with the next line to report
 * the other problems). `unclosed` remembers quote kinds known never to close, which keeps a file
 * full of stray quotes linear.
 */
function closingLine(
  lines: SourceLine[],
  n: number,
  at: number,
  quote: string,
  unclosed: Set<string>,
): number | undefined {
  if (unclosed.has(quote)) return undefined;
  let from = at + 1;
  for (let m = n; m < lines.length; m++, from = 0) {
    const text = lines[m].text;
    for (let i = from; i < text.length; i++) {
      if (text[i] === quote && m > n) return m;
      if (text[i] === quote) return undefined;
      if (quote === '"' && text[i] === "\\") i++;
    }
  }
  unclosed.add(quote);
  return undefined;
}

/** The last line of a run joined by trailing backslashes, starting at line index `n`. */
function lastJoinedLine(lines: SourceLine[], n: number): number {
  let m = n;
  while (m + 1 < lines.length && endsWithContinuation(lines[m].text)) m++;
  return m;
}

function endsWithContinuation(text: string): boolean {
  let count = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === "\\"; i--) count++;
  return count % 2 === 1;
}

function defectProblem(line: number, defect: "nul" | "utf8"): Problem {
  return defect === "nul"
    ? {
        severity: "error",
        line,
        message: "the line contains a NUL byte",
        hint: "config.env must be a text file; was it saved as UTF-16? Save it as UTF-8.",
      }
    : {
        severity: "error",
        line,
        message: "the line is not valid UTF-8 text",
        hint: "Save the file as UTF-8 (bash itself would treat the bytes as they are; ebdb does not guess).",
      };
}

function internalProblem(line: number, e: unknown): Problem {
  return {
    severity: "error",
    line,
    message: `ebdb could not read this line (internal error: ${e instanceof Error ? e.name : "unknown"})`,
    hint: "This is a bug in ebdb; please report it with a copy of the line (without secrets).",
  };
}
