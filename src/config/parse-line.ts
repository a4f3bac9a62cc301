import {
  bashOwnedVariable,
  continuation,
  isBashOwned,
  metacharacter,
  Refusal,
  VALID_KEY_HINT,
} from "./parse-refusal.js";
import { isBlank, nameEnd } from "./lex-chars.js";
import { type ExpansionRef, type Lookup, ValueScanner } from "./parse-value.js";

/** One assignment found on a line, with its value already expanded. */
export interface LineAssignment {
  key: string;
  value: string;
  /**
   * The variables the value read, each marked `sameLine` when an assignment earlier on this line
   * gave it; null when none.
   */
  refs: ExpansionRef[] | null;
}

export interface ParsedLine {
  assignments: LineAssignment[];
  exported: boolean;
}

/** Words that show the line is a shell command; quoting them in a message reveals nothing secret. */
const SHELL_WORDS = new Set(
  (
    ". : [ [[ ! { } alias bash case cd declare do done echo elif else esac eval exec exit false fi for " +
    "function if local printf read readonly return set shift shopt source test then trap true typeset " +
    "ulimit umask unalias unset until while"
  ).split(" "),
);

/**
 * Parses one line: blank, comment, or `[export] KEY=value [KEY=value...] [# comment]`.
 * Throws a Refusal for anything else. `lookup` gives the values before this line: an
 * `export` line expands all its words before assigning any (as bash does, since its words are
 * arguments of the export builtin); a plain line assigns left to right, each word seeing the
 * previous ones.
 */
export function parseLine(s: string, lookup: Lookup): ParsedLine {
  let i = skipBlanks(s, 0);
  const assignments: LineAssignment[] = [];
  const exported = isWordAt(s, i, "export");
  if (exported) {
    i = skipBlanks(s, i + 6);
    if (i >= s.length || s[i] === "#") {
      throw new Refusal(
        -1,
        "export with no name after it prints every exported variable",
        "Write export KEY=value, or remove the line.",
      );
    }
  }
  const local = new Map<string, string>();
  const see: Lookup = exported ? lookup : (name) => (local.has(name) ? local.get(name) : lookup(name));
  for (; i < s.length; i = skipBlanks(s, i)) {
    const c = s[i];
    if (c === "#") break;
    if (c === "\\" && i + 1 === s.length) throw continuation(i);
    if (";&|<>()".includes(c)) throw metacharacter(i, c);
    const end = nameEnd(s, i);
    const name = s.slice(i, end);
    const after = s[end];
    if (end > i && after === "=") {
      if (isBashOwned(name)) throw keyed(name, bashOwnedVariable(i, name, true));
      const scanner = new ValueScanner(s, end + 1, see, exported);
      const value = readValue(scanner, name);
      const refs = scanner.refs;
      if (refs && !exported) for (const r of refs) r.sameLine = local.has(r.name);
      assignments.push({ key: name, value, refs });
      if (!exported) local.set(name, value);
      i = scanner.i;
      continue;
    }
    if (end > i && after === "+" && s[end + 1] === "=") {
      throw new Refusal(i, `${name}+= (append) is not supported`, `Write the whole value: ${name}=value.`);
    }
    if (end > i && after === "[") {
      throw new Refusal(i, "array elements are not supported", `Give one value: ${name}=value.`);
    }
    if (exported && end > i && (after === undefined || isBlank(after))) {
      // `export NAME` marks a name for export without changing any value: accepted, no entry.
      if (assignments.length > 0)
        throw keyed(assignments[assignments.length - 1].key, bareAfterAssignment(i));
      i = end;
      continue;
    }
    throw notAnAssignment(s, i, end, assignments, exported);
  }
  return { assignments, exported };
}

function keyed(key: string, e: Refusal): Refusal {
  e.key = key;
  return e;
}

function readValue(scanner: ValueScanner, key: string): string {
  try {
    return scanner.readTop();
  } catch (e) {
    if (e instanceof Refusal) e.key = key;
    throw e;
  }
}

function skipBlanks(s: string, i: number): number {
  while (isBlank(s[i])) i++;
  return i;
}

function isWordAt(s: string, i: number, word: string): boolean {
  return s.startsWith(word, i) && (i + word.length === s.length || isBlank(s[i + word.length]));
}

function bareAfterAssignment(at: number): Refusal {
  return new Refusal(
    at,
    "a bare name follows an assignment on this export line",
    'Quote the value if it contains spaces (export KEY="two words"); to export a name without a value, put `export NAME` on its own line.',
  );
}

/** Explains why the word at `i` is not an assignment (`end`: end of the name at `i`, if any). */
function notAnAssignment(
  s: string,
  i: number,
  end: number,
  assignments: LineAssignment[],
  exported: boolean,
): Refusal {
  // After a value, the word is likely the rest of an unquoted value: never quote it (secrets).
  const badKey = assignments.length === 0 ? invalidKeyBefore(s, i) : undefined;
  if (badKey !== undefined) {
    return badKey === ""
      ? new Refusal(i, "= has no key before it", `Write KEY=value. ${VALID_KEY_HINT}`)
      : new Refusal(i, `\`${badKey}\` is not a valid key`, VALID_KEY_HINT);
  }
  if (exported) {
    return s[i] === "-"
      ? new Refusal(i, "options of export are not supported", "Write export KEY=value.")
      : new Refusal(i, "export is followed by something that is not a name or KEY=value", VALID_KEY_HINT);
  }
  if (assignments.length > 0) {
    const last = assignments[assignments.length - 1];
    const emptyThenWord = last.value === "" && s[i - 1] !== undefined && isBlank(s[i - 1]);
    return keyed(
      last.key,
      new Refusal(
        i,
        `a word follows the value of ${last.key}: bash would run it as a command (with ${last.key} set only for that command)`,
        emptyThenWord
          ? `Remove the space after ${last.key}= (write ${last.key}=value), or quote the value.`
          : `Quote the value if it contains spaces (${last.key}="two words"), or start the comment with #.`,
      ),
    );
  }
  const word = s.slice(i, end);
  if (end > i && s[skipBlanks(s, end)] === "=") {
    return new Refusal(
      i,
      `\`${word}\` is followed by a space before =, so bash would run ${word} as a command`,
      `Write ${word}=value, without spaces around =.`,
    );
  }
  const first = s.slice(i, wordEnd(s, i));
  if (SHELL_WORDS.has(first)) {
    return new Refusal(
      i,
      `\`${first}\` is a shell command, not an assignment: ebdb never runs commands from config.env`,
      "config.env holds only KEY=value lines and # comments. Remove this line.",
    );
  }
  if (end === wordEnd(s, i) && /^[A-Z][A-Z0-9_]*$/.test(word)) {
    return new Refusal(
      i,
      `\`${word}\` has no = and no value`,
      `Write ${word}=value (or ${word}= for an empty value).`,
    );
  }
  return new Refusal(
    i,
    "this line is not an assignment",
    "Write KEY=value (no spaces around =), or start the line with # to make it a comment.",
  );
}

function wordEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length && !isBlank(s[j])) j++;
  return j;
}

/** The text before `=` when the word at `i` looks like `KEY=value` with an invalid KEY. */
function invalidKeyBefore(s: string, i: number): string | undefined {
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === "=") return s.slice(i, j);
    if (isBlank(c) || "'\"$\\`;&|<>()#".includes(c)) return undefined;
  }
  return undefined;
}
