import type { Engine } from "../model/config.js";
import { ENGINES } from "./catalog/engines.js";
import type { Findings, Values } from "./rules-context.js";

/** Characters RDS refuses in a master password, with how messages name them. */
const FORBIDDEN: ReadonlyArray<[string, string]> = [
  ["/", "/"],
  ['"', '"'],
  ["@", "@"],
  [" ", "space"],
];

export function passwordLengthLimit(engine: Engine): number {
  return engine === "postgres" ? 128 : 41;
}

/**
 * The master password's rules. Messages describe the password (its length, which kinds of
 * characters it lacks or has that RDS refuses) and never contain any part of it.
 */
export function checkPassword(v: Values, f: Findings): void {
  const pw = v.optStr("DB_MASTER_PASSWORD");
  const engine = v.str("DB_ENGINE") as Engine | undefined;
  if (!pw) return;
  const key = "DB_MASTER_PASSWORD";
  const max = engine ? passwordLengthLimit(engine) : 128;
  const who = engine ? `RDS for ${ENGINES[engine].label}` : "RDS";
  const chars = [...pw];
  if (chars.length < 8 || chars.length > max) {
    f.error(
      chars.length > max ? [key, "DB_ENGINE"] : key,
      `is ${chars.length} characters long; ${who} needs 8-${max}`,
      'Use a password of 8 or more characters, or leave it empty (DB_MASTER_PASSWORD="") so ebdb generates one.',
    );
  }
  const bad = FORBIDDEN.filter(([c]) => pw.includes(c)).map(([, name]) => name);
  const unprintable = chars.filter((c) => c < " " || c > "~").length;
  if (bad.length > 0 || unprintable > 0) {
    const parts: string[] = [];
    if (bad.length > 0) parts.push(`${bad.join(", ")}`);
    if (unprintable > 0)
      parts.push(`${unprintable} character${unprintable > 1 ? "s" : ""} outside printable ASCII`);
    f.error(
      key,
      `contains characters RDS does not accept in a master password: ${parts.join("; ")}`,
      'Use printable ASCII without /, ", @ or spaces, or leave it empty (DB_MASTER_PASSWORD="") so ebdb generates one.',
    );
  }
  const missing: string[] = [];
  if (!/[A-Z]/.test(pw)) missing.push("an upper-case letter");
  if (!/[a-z]/.test(pw)) missing.push("a lower-case letter");
  if (!/[0-9]/.test(pw)) missing.push("a digit");
  if (!/[^A-Za-z0-9]/.test(pw)) missing.push("a symbol");
  if (missing.length > 0) {
    f.warn(
      key,
      `is weak: it lacks ${missing.join(", ")}`,
      'Mix upper and lower case, digits and symbols, or leave it empty (DB_MASTER_PASSWORD="") so ebdb generates a strong one.',
    );
  }
}
