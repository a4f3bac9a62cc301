import { type Findings, quote, type Values } from "./rules-context.js";
import { nearest } from "./rules-suggest.js";
import { KEY_NAMES, KEYS, type KeyDef, type KeyName, keyDef } from "./schema.js";
import type { EnvEntry } from "./types.js";

// Maps, not objects: looking up 100,000 unknown keys in an object interns each name, 10× slower.
function mapOf<V>(entries: Record<string, V>): ReadonlyMap<string, V> {
  return new Map(Object.entries(entries));
}

// Names people bring from other tools, too far from ours for the edit distance to catch.
const ALIASES: ReadonlyMap<string, KeyName> = mapOf({
  DB_PASSWORD: "DB_MASTER_PASSWORD",
  DB_USER: "DB_MASTER_USERNAME",
  DB_USERNAME: "DB_MASTER_USERNAME",
  DB_MASTER_USER: "DB_MASTER_USERNAME",
  DB_INSTANCE_TYPE: "DB_INSTANCE_CLASS",
  DB_CLASS: "DB_INSTANCE_CLASS",
  DB_VERSION: "DB_ENGINE_VERSION",
  DB_STORAGE: "DB_ALLOCATED_STORAGE",
  DB_STORAGE_SIZE: "DB_ALLOCATED_STORAGE",
  DB_MAX_STORAGE: "DB_MAX_ALLOCATED_STORAGE",
  DB_RETENTION_DAYS: "DB_BACKUP_RETENTION_DAYS",
  DB_BACKUP_RETENTION: "DB_BACKUP_RETENTION_DAYS",
  DB_ENCRYPTED: "DB_STORAGE_ENCRYPTED",
  DB_IDENTIFIER: "DB_INSTANCE_IDENTIFIER",
  DB_INSTANCE_ID: "DB_INSTANCE_IDENTIFIER",
  DB_DATABASE: "DB_NAME",
  AWS_DEFAULT_REGION: "AWS_REGION",
  AWS_DEFAULT_PROFILE: "AWS_PROFILE",
  EB_APP_NAME: "EB_APPLICATION_NAME",
  EB_ENV_NAME: "EB_ENVIRONMENT_NAME",
  ENVIRONMENT: "ENV_NAME",
  ENV: "ENV_NAME",
});

// Read from the process environment or flags, never from config.env.
const NOT_HERE: ReadonlyMap<string, string> = mapOf({
  EBDB_TARGET: "Choose the target with --target, or export EBDB_TARGET in the shell.",
  EBDB_CONFIG: "Choose the file with --config, or export EBDB_CONFIG in the shell.",
  DB_HOST: "ebdb sets DB_HOST in the application's environment itself (see `ebdb env`); remove the line.",
});

/** The last assignment of each key: the one bash keeps. */
export function lastEntries(entries: readonly EnvEntry[]): Map<string, EnvEntry> {
  // A Map keeps a key where it was first set; a later set only replaces its value.
  const last = new Map<string, EnvEntry>();
  for (const e of entries) last.set(e.key, e);
  return last;
}

/**
 * Problems about the keys themselves, each on its own line: a key set twice (a warning naming both
 * lines) and a key ebdb does not know (an error with the nearest known key).
 */
/** Every value the file gives a secret key (earlier assignments too), long enough to look for. */
export function secretValues(entries: readonly EnvEntry[]): string[] {
  return entries.filter((e) => keyDef(e.key)?.secret && e.value.length >= 4).map((e) => e.value);
}

export function checkKeys(entries: readonly EnvEntry[], f: Findings): void {
  const seen = new Map<string, number[]>();
  for (const e of entries) {
    const lines = seen.get(e.key);
    if (lines) lines.push(e.line);
    else seen.set(e.key, [e.line]);
  }
  for (const e of entries) {
    const lines = seen.get(e.key)!;
    if (keyDef(e.key) === undefined) {
      if (lines[0] === e.line) unknownKey(e, f);
      continue;
    }
    if (lines.length > 1 && e.line === lines[lines.length - 1]) {
      const earlier = lines.slice(0, -1);
      // A key repeated 100,000 times is one warning, not a message listing 100,000 lines.
      const listed =
        earlier.length > 10
          ? `${earlier.slice(0, 10).join(", ")} and ${earlier.length - 10} more lines`
          : earlier.join(", ");
      f.problems.push({
        severity: "warning",
        key: e.key,
        line: e.line,
        message: `set more than once: on line${earlier.length > 1 ? "s" : ""} ${listed} and on line ${e.line}; the last one (line ${e.line}) counts`,
        hint: `Keep one ${e.key} line.`,
      });
    }
  }
}

function unknownKey(e: EnvEntry, f: Findings): void {
  // Object literals, not spreads: this runs once per unknown key, and a file may have 100,000.
  const upper = e.key.toUpperCase();
  const elsewhere = NOT_HERE.get(upper);
  if (elsewhere) {
    f.problems.push({
      severity: "error",
      key: e.key,
      line: e.line,
      message: "is not read from config.env",
      hint: elsewhere,
    });
    return;
  }
  const guess = keyDef(upper) ? upper : (ALIASES.get(upper) ?? nearest(upper, KEY_NAMES));
  f.problems.push({
    severity: "error",
    key: e.key,
    line: e.line,
    message: guess ? `unknown key; did you mean ${guess}?` : "unknown key",
    hint: guess
      ? `Rename it to ${guess}.`
      : "Remove the line, or see the configuration reference in the README for the keys ebdb reads.",
  });
}

const BOOLEAN_WORDS: Readonly<Record<string, string>> = {
  yes: "true",
  y: "true",
  on: "true",
  "1": "true",
  enabled: "true",
  enable: "true",
  no: "false",
  n: "false",
  off: "false",
  "0": "false",
  disabled: "false",
  disable: "false",
};

const ENUM_ALIASES: Readonly<Record<string, string>> = {
  postgresql: "postgres",
  pg: "postgres",
  psql: "postgres",
  "aurora-postgresql": "postgres",
  "aurora-mysql": "mysql",
  maria: "mariadb",
};

/**
 * Reads each known key's value into its type (or takes its literal default) and checks ranges.
 * Keys whose default is derived from other keys are left for `deriveDefaults`.
 */
export function readScalars(
  entries: ReadonlyMap<string, EnvEntry>,
  f: Findings,
  v: Values,
  secrets: readonly string[] = [],
): void {
  for (const def of KEYS as readonly KeyDef[]) {
    const key = def.key as KeyName;
    const entry = entries.get(key);
    let raw = entry?.value;
    // Other keys are shown (messages, `ebdb config`, the EB environment): the password must not ride along.
    const given = raw;
    if (given !== undefined && !def.secret && secrets.some((secret) => given.includes(secret))) {
      f.error(
        key,
        "holds the master password, which ebdb would then show",
        "Do not use DB_MASTER_PASSWORD's value in other keys.",
      );
      continue;
    }
    const fromDefault = raw === undefined || (raw === "" && def.emptyOk === true);
    if (fromDefault) {
      if (def.default === null) continue;
      raw = def.default;
    }
    if (raw === "" && !fromDefault) {
      f.error(key, "is empty", `Set a value, or remove the line to use the default${defaultText(def)}.`);
      continue;
    }
    const value = raw === "" ? null : parseScalar(def, raw as string, f);
    if (value !== undefined) v.set(key, value, fromDefault);
  }
}

function defaultText(def: KeyDef): string {
  if (def.default) return ` (${def.default})`;
  return def.defaultDoc ? ` (${def.defaultDoc.replace(/^empty: /, "")})` : "";
}

function parseScalar(def: KeyDef, raw: string, f: Findings): string | number | boolean | undefined {
  const key = def.key as KeyName;
  const shown = def.secret ? "the value" : quote(raw);
  switch (def.type) {
    case "boolean": {
      const lower = raw.toLowerCase();
      if (lower === "true" || lower === "false") return lower === "true";
      const meant = BOOLEAN_WORDS[lower.trim()];
      f.error(
        key,
        `${shown} is not a boolean`,
        meant ? `Write ${meant} (for ${quote(raw)}).` : "Write true or false.",
      );
      return undefined;
    }
    case "integer":
      return parseInteger(def, raw, f);
    case "enum": {
      const choices = def.choices ?? [];
      if (choices.includes(raw)) return raw;
      const lower = raw.trim().toLowerCase();
      const meant = choices.includes(lower) ? lower : (ENUM_ALIASES[lower] ?? nearest(lower, choices));
      f.error(
        key,
        `${shown} is not one of ${choices.join(", ")}`,
        meant && choices.includes(meant)
          ? `Did you mean ${meant}? Write ${key}="${meant}".`
          : `Write one of: ${choices.join(", ")}.`,
      );
      return undefined;
    }
    case "string":
      return raw;
  }
}

function parseInteger(def: KeyDef, raw: string, f: Findings): number | undefined {
  const key = def.key as KeyName;
  if (!/^(0|-?[1-9][0-9]*)$/.test(raw)) {
    f.error(key, `${quote(raw)} is not a whole number`, integerHint(raw));
    return undefined;
  }
  const n = Number(raw);
  const { min, max } = def;
  if ((min !== undefined && n < min) || (max !== undefined && n > max) || !Number.isSafeInteger(n)) {
    const range =
      max === undefined
        ? `at least ${min}`
        : min === undefined
          ? `at most ${max}`
          : `between ${min} and ${max}`;
    f.error(key, `${raw} is out of range: it must be ${range}`, `Set ${key} to a whole number ${range}.`);
    return undefined;
  }
  return n;
}

function integerHint(raw: string): string {
  const t = raw.trim();
  if (t !== raw && /^-?\d+$/.test(t)) return `Remove the spaces: write ${t}.`;
  const digits = /^(-?\d[\d,_]*)\s*([a-zA-Z%]+)?$/.exec(t);
  if (digits) {
    const plain = digits[1].replace(/[,_]/g, "");
    const n = Number(plain);
    if (Number.isSafeInteger(n))
      return `Write the number plainly, without separators, units or leading zeros: ${n}.`;
  }
  if (/^[+-]?\d+\.\d*$/.test(t)) return "Write a whole number, without a decimal point.";
  return "Write a whole number, e.g. 20.";
}
