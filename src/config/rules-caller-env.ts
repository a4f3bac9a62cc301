import type { Problem } from "../model/problem.js";
import { isDefaultSyntax, writtenForm } from "./parse-value.js";
import type { CallerRef, EnvEntry } from "./types.js";

/**
 * The keys whose value decides who may log in: when it depends on who runs ebdb, `up` run by
 * someone else would change the database's master credentials, so the warning stands apart.
 */
const MASTER: Readonly<Record<string, string>> = {
  DB_MASTER_PASSWORD: "the master password",
  DB_MASTER_USERNAME: "the master user name",
};

/** Whether an assignment's value depends on the caller's environment, directly or through a key above. */
export function dependsOnCaller(entry: EnvEntry | undefined): boolean {
  return entry !== undefined && (entry.fromCaller !== undefined || entry.via !== undefined);
}

/**
 * Warnings for values that depend on who runs ebdb. config.env is read as bash reads it, so a `$NAME`
 * that no key above defines takes the caller's environment variable, or nothing; ebdb keeps that
 * value (as `set -a; . ./config.env` would) and says so:
 * - one warning per `$NAME`, `${NAME}` or `~` of any key, naming it (the ${NAME:-word} forms say
 *   what to use when NAME is unset: a deliberate choice, not warned about);
 * - for DB_MASTER_PASSWORD and DB_MASTER_USERNAME, a single warning of its own for any expansion
 *   (defaults included) or use of a key above that depends on the caller. The password's never names
 *   a variable: in `Pa55word!$Tk9`, `Tk9` was meant as part of the password.
 */
export function checkCallerEnvironment(entries: readonly EnvEntry[]): Problem[] {
  const problems: Problem[] = [];
  if (!entries.some(dependsOnCaller)) return problems;
  const linesOf = new Map<string, number[]>();
  for (const e of entries) {
    const lines = linesOf.get(e.key);
    if (lines) lines.push(e.line);
    else linesOf.set(e.key, [e.line]);
  }
  for (const e of entries) {
    if (!dependsOnCaller(e)) continue;
    if (Object.hasOwn(MASTER, e.key)) {
      problems.push(masterWarning(e));
      continue;
    }
    const seen = new Set<string>();
    for (const ref of e.fromCaller ?? []) {
      const written = writtenForm(ref.name, ref.syntax);
      if (isDefaultSyntax(ref.syntax) || seen.has(written)) continue;
      seen.add(written);
      const later = (linesOf.get(ref.name) ?? []).find((l) => l >= e.line);
      problems.push(refWarning(e, ref, later));
    }
  }
  return problems;
}

function refWarning(e: EnvEntry, ref: CallerRef, later: number | undefined): Problem {
  if (ref.syntax === "~") {
    return {
      severity: "warning",
      key: e.key,
      line: e.line,
      message: "an unquoted ~ here is replaced by the home folder ($HOME) of whoever runs ebdb, as bash does",
      hint: `To keep the ~ as a character, put the value in single quotes: ${e.key}='...'.`,
    };
  }
  const now = ref.set ? "here it is set" : "here it is not set, so it expands to nothing";
  const below =
    later === undefined
      ? ""
      : later > e.line
        ? ` (${ref.name} is set on line ${later}, below: bash reads the file from the top)`
        : e.exported
          ? ` (${ref.name} is set on this export line, but bash expands all of its words before assigning any)`
          : ` (${ref.name} is set after it on this line: bash assigns from left to right)`;
  return {
    severity: "warning",
    key: e.key,
    line: e.line,
    message: `${writtenForm(ref.name, ref.syntax)} is not a key set above${below}, so bash takes it from the environment of whoever runs ebdb: ${now}`,
    hint: `If the $ belongs to the value, put the value in single quotes (${e.key}='...'), where bash expands nothing; to use another key's value, set that key above this line.`,
  };
}

function masterWarning(e: EnvEntry): Problem {
  const what = MASTER[e.key];
  const secret = e.key === "DB_MASTER_PASSWORD";
  const refs = e.fromCaller ?? [];
  const causes: string[] = [];
  if (refs.length > 0) {
    const names = [...new Set(refs.map((r) => writtenForm(r.name, r.syntax)))];
    causes.push(
      secret
        ? `it holds ${refs.length === 1 ? "a $ or ~ expansion" : `${refs.length} $ or ~ expansions`} that no key above defines, which bash fills from the caller's environment (with nothing when unset)`
        : `${names.join(", ")} ${names.length === 1 ? "is" : "are"} not a key set above, so bash fills ${names.length === 1 ? "it" : "them"} from the caller's environment (with nothing when unset)`,
    );
  }
  if (e.via !== undefined) {
    causes.push(
      `it uses the value set ${e.via === e.line ? "earlier on this line" : `on line ${e.via}`}, which does`,
    );
  }
  const consequence = secret
    ? "Run by another user, in another shell or in CI, ebdb reads another password, and `up` then changes the database's master password to it"
    : "Run by another user or elsewhere, ebdb reads another user name";
  return {
    severity: "warning",
    key: e.key,
    line: e.line,
    message: `${what} depends on who runs ebdb: ${causes.join("; and ")}. ${consequence}.`,
    hint: secret
      ? `If each $ belongs to the password, put it in single quotes: ${e.key}='...' (bash expands nothing inside them; write a ' as '\\''). Or leave it empty (${e.key}="") and ebdb generates one.`
      : `Write the user name itself, in single quotes if it holds a $: ${e.key}='...'.`,
  };
}
