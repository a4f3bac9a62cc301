// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages quote shell syntax such as ${NAME}.
import { isNameChar } from "./lex-chars.js";

/** What kind of refusal, when the line parser must know it (to skip the lines bash would join). */
export type RefusalKind = "other" | "open-quote" | "continuation";

/** A construct config.env does not accept, found at index `at` of the line (-1: the whole line). */
export class Refusal extends Error {
  /** The key whose value holds the construct, when there is one. */
  key?: string;

  constructor(
    readonly at: number,
    message: string,
    readonly hint: string,
    readonly kind: RefusalKind = "other",
    /** For "open-quote": the quote character. */
    readonly quote?: string,
  ) {
    super(message);
    this.name = "Refusal";
  }
}

const LITERAL_DOLLAR = "For a literal $, write \\$ or put the value in single quotes.";

/**
 * Variables bash sets or manages itself: their value in bash does not come from the file or the
 * environment (or assigning them has side effects), so ebdb cannot know what bash would give.
 */
const BASH_OWNED = new Set([
  "_",
  "BASH",
  "BASHOPTS",
  "BASHPID",
  "COPROC",
  "DIRSTACK",
  "EPOCHREALTIME",
  "EPOCHSECONDS",
  "EUID",
  "FUNCNAME",
  "GROUPS",
  "HISTCMD",
  "HOSTNAME",
  "HOSTTYPE",
  "IFS",
  "LINENO",
  "MACHTYPE",
  "MAILCHECK",
  "OLDPWD",
  "OPTARG",
  "OPTERR",
  "OPTIND",
  "OSTYPE",
  "PIPESTATUS",
  "POSIXLY_CORRECT",
  "PPID",
  "PS1",
  "PS2",
  "PS4",
  "PWD",
  "RANDOM",
  "SECONDS",
  "SHELLOPTS",
  "SHLVL",
  "SRANDOM",
  "UID",
]);

/** Whether bash gives `name` a value of its own (see BASH_OWNED). */
export function isBashOwned(name: string): boolean {
  return BASH_OWNED.has(name) || name.startsWith("BASH_") || name.startsWith("COMP_");
}

export const VALID_KEY_HINT =
  "A key starts with a letter or an underscore and has only letters (A-Z, a-z), digits (0-9) and underscores, e.g. DB_PORT.";

export function bashOwnedVariable(at: number, name: string, assigned: boolean): Refusal {
  return assigned
    ? new Refusal(
        at,
        `${name} is a variable bash manages itself; it cannot be set from config.env`,
        "Choose another key.",
      )
    : new Refusal(
        at,
        `$${name} is set by bash itself, so ebdb cannot know the value bash would give it`,
        `Write the value itself. ${LITERAL_DOLLAR}`,
      );
}

export function commandSubstitution(at: number, form: "$(...)" | "`...`"): Refusal {
  return new Refusal(
    at,
    `command substitution ${form} is not allowed: ebdb never runs commands from config.env`,
    `Write the value itself. ${form === "$(...)" ? LITERAL_DOLLAR : "For a literal backquote, write \\` or use single quotes."}`,
  );
}

export function arithmetic(at: number, form: "$((...))" | "$[...]"): Refusal {
  return new Refusal(
    at,
    `arithmetic expansion ${form} is not supported`,
    `Write the number itself. ${LITERAL_DOLLAR}`,
  );
}

export function specialParameter(at: number, text: string): Refusal {
  return new Refusal(
    at,
    `${text} is a special parameter of the shell, not a key of the file or the environment`,
    `Only $NAME, \${NAME}, \${NAME:-default} and \${NAME-default} are expanded. ${LITERAL_DOLLAR}`,
  );
}

export function unsupportedExpansion(at: number, what: string): Refusal {
  return new Refusal(
    at,
    `${what} is not supported`,
    `Only $NAME, \${NAME}, \${NAME:-default} and \${NAME-default} are expanded. ${LITERAL_DOLLAR}`,
  );
}

export function openBrace(at: number): Refusal {
  return new Refusal(
    at,
    "${ is never closed with } on this line",
    "Close it with }; values cannot span lines.",
    "other",
  );
}

export function openQuote(at: number, quote: "'" | '"'): Refusal {
  const name = quote === "'" ? "single" : "double";
  return new Refusal(
    at,
    `the ${name} quote is not closed on this line`,
    `Close it on the same line: values cannot span lines. For a literal ${quote}, ${quote === "'" ? `write \\' outside quotes or put it in double quotes` : `write \\" or put it in single quotes`}.`,
    "open-quote",
    quote,
  );
}

export function continuation(at: number): Refusal {
  return new Refusal(
    at,
    "a backslash at the end of the line joins the next line to this one: values cannot span lines",
    "Remove the backslash; for a literal backslash at the end of a value, write '\\' (in single quotes).",
    "continuation",
  );
}

export function metacharacter(at: number, c: string): Refusal {
  const role: Record<string, string> = {
    ";": "ends the command",
    "&": "runs a command in the background",
    "|": "starts a pipeline",
    "<": "redirects input",
    ">": "redirects output",
    "(": "starts a subshell or an array",
    ")": "closes a subshell or an array",
  };
  return new Refusal(
    at,
    `an unquoted ${c} is shell syntax (it ${role[c] ?? "is special"})`,
    `Quote the value if ${c} belongs to it, e.g. KEY='a${c}b'.`,
  );
}

export function controlCharacter(at: number, c: string): Refusal {
  if (c === "\r") {
    return new Refusal(
      at,
      "a carriage return (CR) in the middle of the line is not a line end for bash; it would become part of the value",
      "Save the file with LF (Unix) or CRLF (Windows) line ends.",
    );
  }
  const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  return new Refusal(
    at,
    `the control character ${code} is not allowed`,
    "Remove it: values are printable text.",
  );
}

export function tildeForm(at: number): Refusal {
  return new Refusal(
    at,
    "only ~ alone, ~/... and ~:... are expanded; ~user, ~+, ~- and ~ followed by a quote are not supported",
    "Write the full path, or quote the ~ ('~') to keep it literally.",
  );
}

export function noHome(at: number): Refusal {
  return new Refusal(
    at,
    "~ expands to $HOME, which is not set",
    "Write the full path, set HOME in config.env before this line, or quote the ~ ('~') to keep it literally.",
  );
}

/**
 * Inside "${NAME:-...}", bash 5 reads `$B"x` as `$Bx`: the quote does not end the name. Refuse
 * the one form it misreads rather than imitate a bug.
 */
export function refuseQuoteInName(s: string, at: number, end: number): void {
  let j = end;
  while (s[j] === '"') j++;
  if (j > end && isNameChar(s[j])) {
    throw new Refusal(
      at,
      'inside "${NAME:-...}", bash reads $NAME followed by a quote and a letter, digit or _ as one longer name',
      "Write ${NAME} with braces here.",
    );
  }
}

export function nestedQuoteQuirk(at: number, c: string): Refusal {
  return new Refusal(
    at,
    c === "'"
      ? 'a single quote inside "${NAME:-...}" is kept as a literal character by bash, which is rarely what is meant'
      : 'a backslash inside quotes nested in "${NAME:-...}" follows rules of its own in bash',
    "Move the default out of the double quotes (KEY=${NAME:-'x'}), or drop the inner quotes.",
  );
}
