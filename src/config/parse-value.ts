// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages quote shell syntax such as ${NAME}.
import {
  arithmetic,
  bashOwnedVariable,
  commandSubstitution,
  continuation,
  controlCharacter,
  isBashOwned,
  metacharacter,
  nestedQuoteQuirk,
  noHome,
  openBrace,
  openQuote,
  Refusal,
  refuseQuoteInName,
  specialParameter,
  tildeForm,
  unsupportedExpansion,
} from "./parse-refusal.js";
import {
  DQ_SPECIAL,
  isBlank,
  isForbiddenControl,
  isNameStart,
  nameEnd,
  plainRun,
  QDEF_SPECIAL,
  QDEFDQ_SPECIAL,
  TOP_SPECIAL,
  UDEF_SPECIAL,
} from "./lex-chars.js";

/** The value bash gives a variable, or undefined when it is unset. */
export type Lookup = (name: string) => string | undefined;

/**
 * How a value named a variable: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, or `~` ($HOME).
 * The two default forms say what to use when NAME is unset.
 */
export type ExpansionSyntax = "$" | "${}" | "${:-}" | "${-}" | "~";

/** One variable a value read. */
export interface ExpansionRef {
  name: string;
  syntax: ExpansionSyntax;
  /** Set by parseLine: an assignment earlier on the same (non-export) line gave the value. */
  sameLine: boolean;
}

/** A reference as the file writes it, for messages: `$NAME`, `${NAME}`, `${NAME:-...}`, `~`. */
export function writtenForm(name: string, syntax: ExpansionSyntax): string {
  switch (syntax) {
    case "$":
      return `$${name}`;
    case "${}":
      return `\${${name}}`;
    case "${:-}":
      return `\${${name}:-...}`;
    case "${-}":
      return `\${${name}-...}`;
    case "~":
      return "~";
  }
}

export function isDefaultSyntax(syntax: ExpansionSyntax): boolean {
  return syntax === "${:-}" || syntax === "${-}";
}

/**
 * Where the scanner is, which decides what each character means (bash's rules differ in each):
 * - top: the unquoted value of an assignment (ends at a blank or the line end);
 * - dq: inside "..." (at top level, or inside an unquoted default);
 * - udef: the default word of ${NAME:-word} outside double quotes;
 * - qdef: the default word of ${NAME:-word} inside double quotes;
 * - qdefdq: "..." nested in a qdef.
 */
type Mode = "top" | "dq" | "udef" | "qdef" | "qdefdq";

const MAX_DEPTH = 16;
const METACHARACTERS = new Set([";", "&", "|", "<", ">", "(", ")"]);
const DQ_ESCAPABLE = new Set(["$", "`", '"', "\\"]);
const QDEF_ESCAPABLE = new Set(["$", "`", '"', "\\", "}"]);
const SPECIAL_PARAMETERS = new Set(["@", "*", "#", "?", "-", "$", "!"]);

/**
 * Reads one assignment value the way bash expands it (quote removal, escapes, tilde and parameter
 * expansion; assignments get no word splitting and no globbing), refusing whatever is not in the
 * accepted subset. One pass over the line, no backtracking.
 */
export class ValueScanner {
  private depth = 0;
  /**
   * Every variable the value read, in order (those in a default word only when it was used); null
   * when none (most values), so a plain value allocates nothing more.
   */
  refs: ExpansionRef[] | null = null;

  constructor(
    private readonly s: string,
    public i: number,
    private readonly lookup: Lookup,
    /** On an `export` line bash applies brace expansion to the words. */
    private readonly exportLine: boolean,
  ) {}

  private ref(name: string, syntax: ExpansionSyntax): void {
    const r: ExpansionRef = { name, syntax, sameLine: false };
    if (this.refs) this.refs.push(r);
    else this.refs = [r];
  }

  /** The value starting at `i`; stops at the blank or line end that ends it. */
  readTop(): string {
    const { s } = this;
    const start = this.i;
    let out = "";
    let tildeHere = true;
    while (this.i < s.length) {
      const c = s[this.i];
      if (isBlank(c)) break;
      if (tildeHere && c === "~") {
        out += this.tilde("top");
        tildeHere = false;
        continue;
      }
      tildeHere = false;
      const j = plainRun(s, this.i, TOP_SPECIAL);
      if (j > this.i) {
        out += s.slice(this.i, j);
        this.i = j;
        continue;
      }
      switch (c) {
        case "\\":
          out += this.escaped();
          break;
        case "'":
          out += this.singleQuoted();
          break;
        case '"':
          out += this.doubleQuoted("dq");
          break;
        case "$":
          out += this.dollar("top");
          break;
        case "`":
          throw commandSubstitution(this.i, "`...`");
        case ":":
          out += c;
          this.i++;
          tildeHere = true;
          break;
        case "{":
          if (this.exportLine) {
            throw new Refusal(
              this.i,
              "an unquoted { on an export line is subject to brace expansion in bash",
              "Quote the value, e.g. export KEY='{a,b}'.",
            );
          }
          out += c;
          this.i++;
          break;
        default:
          if (METACHARACTERS.has(c)) {
            if (c === "(" && this.i === start) {
              throw new Refusal(
                this.i,
                "arrays are not supported",
                'Give one value, e.g. a comma-separated list in quotes: KEY="a,b".',
              );
            }
            throw metacharacter(this.i, c);
          }
          out += this.literal();
      }
    }
    return out;
  }

  /** One character (a whole code point) taken as is. */
  private literal(): string {
    const c = this.s[this.i];
    if (isForbiddenControl(c)) throw controlCharacter(this.i, c);
    const code = c.charCodeAt(0);
    const wide = code >= 0xd800 && code <= 0xdbff;
    this.i += wide ? 2 : 1;
    return wide ? this.s.slice(this.i - 2, this.i) : c;
  }

  /** `\x` outside quotes: x itself. */
  private escaped(): string {
    if (this.i + 1 >= this.s.length) throw continuation(this.i);
    this.i++;
    return this.literal();
  }

  private singleQuoted(): string {
    const open = this.i;
    const close = this.s.indexOf("'", open + 1);
    if (close === -1) throw openQuote(open, "'");
    for (let j = open + 1; j < close; j++) {
      if (isForbiddenControl(this.s[j])) throw controlCharacter(j, this.s[j]);
    }
    this.i = close + 1;
    return this.s.slice(open + 1, close);
  }

  private doubleQuoted(mode: "dq" | "qdefdq"): string {
    const { s } = this;
    const open = this.i;
    this.i++;
    let out = "";
    for (;;) {
      const j = plainRun(s, this.i, mode === "dq" ? DQ_SPECIAL : QDEFDQ_SPECIAL);
      if (j > this.i) {
        out += s.slice(this.i, j);
        this.i = j;
      }
      if (this.i >= s.length) throw openQuote(open, '"');
      const c = s[this.i];
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === "`") throw commandSubstitution(this.i, "`...`");
      if (c === "$") {
        out += this.dollar(mode);
      } else if (c === "\\" && mode === "dq") {
        // Backslash-newline continues the quote on the next line: the quote is open at line end.
        if (this.i + 1 >= s.length) throw openQuote(open, '"');
        const next = s[this.i + 1];
        if (DQ_ESCAPABLE.has(next)) {
          out += next;
          this.i += 2;
        } else {
          out += c;
          this.i++;
        }
      } else if (mode === "qdefdq" && (c === "\\" || c === "'")) {
        throw nestedQuoteQuirk(this.i, c);
      } else {
        out += this.literal();
      }
    }
  }

  /** `$` in any mode; `this.i` is at the `$`. */
  private dollar(mode: Mode): string {
    const { s } = this;
    const at = this.i;
    const next = s[at + 1];
    if (isNameStart(next)) {
      const end = nameEnd(s, at + 1);
      const name = s.slice(at + 1, end);
      if (isBashOwned(name)) throw bashOwnedVariable(at, name, false);
      if (mode === "qdef" || mode === "qdefdq") refuseQuoteInName(s, at, end);
      this.i = end;
      this.ref(name, "$");
      return this.lookup(name) ?? "";
    }
    if (next === "{") return this.braced(mode);
    if (next === "(") {
      throw s[at + 2] === "(" ? arithmetic(at, "$((...))") : commandSubstitution(at, "$(...)");
    }
    if (next === "[") throw arithmetic(at, "$[...]");
    if (next !== undefined && ((next >= "0" && next <= "9") || SPECIAL_PARAMETERS.has(next))) {
      throw specialParameter(at, `$${next}`);
    }
    if (next === "'" || next === '"') {
      // Inside plain double quotes bash keeps `$` literally before a quote; elsewhere it starts
      // ANSI-C quoting ($'...') or a translated string ($"...").
      if (mode !== "dq") {
        throw unsupportedExpansion(at, next === "'" ? "ANSI-C quoting $'...'" : 'translated string $"..."');
      }
    }
    this.i++;
    return "$";
  }

  /** `${...}`; `this.i` is at the `$`. */
  private braced(mode: Mode): string {
    const { s } = this;
    const at = this.i;
    const first = s[at + 2];
    if (first === undefined) throw openBrace(at);
    if (first === "#") throw unsupportedExpansion(at, "${#...} (length)");
    if (first === "!") throw unsupportedExpansion(at, "${!...} (indirection)");
    if ((first >= "0" && first <= "9") || SPECIAL_PARAMETERS.has(first)) {
      throw specialParameter(at, `\${${first}}`);
    }
    if (!isNameStart(first)) throw unsupportedExpansion(at, "${ without a valid name after it");
    const end = nameEnd(s, at + 2);
    const name = s.slice(at + 2, end);
    if (isBashOwned(name)) throw bashOwnedVariable(at, name, false);
    const op = s[end];
    if (op === "}") {
      this.i = end + 1;
      this.ref(name, "${}");
      return this.lookup(name) ?? "";
    }
    let colon: boolean;
    if (op === ":" && s[end + 1] === "-") colon = true;
    else if (op === "-") colon = false;
    else if (op === undefined) throw openBrace(at);
    else {
      const form = op === ":" ? `:${s[end + 1] ?? ""}` : op;
      throw unsupportedExpansion(
        at,
        /^[!-~]+$/.test(form) ? `the form \${NAME${form}...}` : "this ${...} form",
      );
    }
    if (++this.depth > MAX_DEPTH)
      throw new Refusal(at, "defaults are nested too deeply", "Simplify the value.");
    this.i = end + (colon ? 2 : 1);
    const mark = this.refs?.length ?? 0;
    const fallback = this.defaultWord(mode === "top" || mode === "udef" ? "udef" : "qdef", at);
    this.depth--;
    const value = this.lookup(name);
    const useFallback = value === undefined || (colon && value === "");
    // Bash expands the default word only when it is used.
    if (!useFallback && this.refs) this.refs.length = mark;
    this.ref(name, colon ? "${:-}" : "${-}");
    return useFallback ? fallback : value;
  }

  /** The word of ${NAME:-word} up to its closing brace, consumed. */
  private defaultWord(mode: "udef" | "qdef", braceAt: number): string {
    const { s } = this;
    let out = "";
    let tildeHere = mode === "udef";
    for (;;) {
      if (this.i >= s.length) throw openBrace(braceAt);
      const c = s[this.i];
      if (tildeHere && c === "~") {
        out += this.tilde("udef");
        tildeHere = false;
        continue;
      }
      tildeHere = false;
      const j = plainRun(s, this.i, mode === "udef" ? UDEF_SPECIAL : QDEF_SPECIAL);
      if (j > this.i) {
        out += s.slice(this.i, j);
        this.i = j;
        continue;
      }
      if (c === "}") {
        this.i++;
        return out;
      }
      if (c === "$") out += this.dollar(mode);
      else if (c === "`") throw commandSubstitution(this.i, "`...`");
      else if (c === '"') out += this.doubleQuoted(mode === "udef" ? "dq" : "qdefdq");
      else if (c === "{") {
        throw new Refusal(
          this.i,
          "an unquoted { inside ${...} is not supported",
          "Quote it inside the default, e.g. ${NAME:-'{x}'}.",
        );
      } else if (mode === "udef") {
        if (c === "\\") out += this.escaped();
        else if (c === "'") out += this.singleQuoted();
        else if (METACHARACTERS.has(c)) throw metacharacter(this.i, c);
        else {
          if (c === ":") tildeHere = true;
          out += this.literal();
        }
      } else if ((c === "<" || c === ">") && s[this.i + 1] === "(") {
        // Even inside double quotes, bash parses <(...) and >(...) in a default as process substitution.
        throw metacharacter(this.i + 1, "(");
      } else if (c === "'") {
        throw nestedQuoteQuirk(this.i, c);
      } else if (c === "\\") {
        const next = s[this.i + 1];
        if (next === undefined) throw openBrace(braceAt);
        if (next === "'") throw nestedQuoteQuirk(this.i + 1, next);
        this.i++;
        // Bash keeps the backslash before any other character, which is then taken as it is
        // (so `\{` is not the start of a brace).
        out += QDEF_ESCAPABLE.has(next) ? "" : c;
        out += this.literal();
      } else out += this.literal();
    }
  }

  /**
   * `~` where bash expands it in an assignment: at the start of the value (or of an unquoted
   * default word) and after an unquoted `:`. Only `~` alone, `~/` and `~:` are accepted.
   */
  private tilde(mode: "top" | "udef"): string {
    const at = this.i;
    const next = this.s[at + 1];
    const ends =
      next === undefined || next === "/" || next === ":" || (mode === "top" ? isBlank(next) : next === "}");
    if (!ends) throw tildeForm(at);
    const home = this.lookup("HOME");
    if (home === undefined) throw noHome(at);
    this.ref("HOME", "~");
    this.i++;
    return home;
  }
}
