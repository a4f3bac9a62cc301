import type { Engine } from "../model/config.js";
import { checkEngineVersion, ENGINES, majorLines } from "./catalog/engines.js";
import {
  INSTANCE_CLASSES,
  insightsUnsupported,
  instanceClassInfo,
  isWellFormedInstanceClass,
} from "./catalog/instance-classes.js";
import { isReservedWord, SYSTEM_DATABASES } from "./catalog/reserved-words.js";
import { type Findings, quote, type Values } from "./rules-context.js";
import { nearest } from "./rules-suggest.js";
import type { KeyName } from "./schema.js";

/** Engine version, database and user names, and instance classes. */
export function checkEngine(v: Values, f: Findings): void {
  checkClass("DB_INSTANCE_CLASS", v, f);
  if (!v.defaulted.has("DB_READ_REPLICA_INSTANCE_CLASS")) checkClass("DB_READ_REPLICA_INSTANCE_CLASS", v, f);
  const engine = v.str("DB_ENGINE") as Engine | undefined;
  if (engine === undefined) return;
  checkVersion(engine, v, f);
  checkDbName(engine, v, f);
  checkUsername(engine, v, f);
  const cls = v.str("DB_INSTANCE_CLASS");
  if (cls !== undefined && v.bool("DB_PERFORMANCE_INSIGHTS_ENABLED") && insightsUnsupported(cls, engine)) {
    const set = f.isSet("DB_PERFORMANCE_INSIGHTS_ENABLED");
    f.add(
      set ? "error" : "warning",
      ["DB_PERFORMANCE_INSIGHTS_ENABLED", "DB_INSTANCE_CLASS"],
      `RDS for ${ENGINES[engine].label} has no Performance Insights on ${cls}${set ? "" : "; ebdb leaves it off"}`,
      `Choose db.t3.medium or larger, or set DB_PERFORMANCE_INSIGHTS_ENABLED="false".`,
    );
  }
}

function checkVersion(engine: Engine, v: Values, f: Findings): void {
  const version = v.str("DB_ENGINE_VERSION");
  if (version === undefined) return;
  const label = ENGINES[engine].label;
  const keys: KeyName[] = v.defaulted.has("DB_ENGINE_VERSION")
    ? ["DB_ENGINE_VERSION", "DB_ENGINE"]
    : ["DB_ENGINE_VERSION"];
  const c = checkEngineVersion(engine, version);
  const example =
    engine === "postgres" ? "16.8 or 16" : engine === "mysql" ? "8.0.35 or 8.4" : "10.11.11 or 10.11";
  if (!c.ok) {
    if (c.reason === "format") {
      f.error(keys, `${quote(version)} is not a ${label} version`, `Write a version such as ${example}.`);
    } else if (c.reason === "major") {
      f.error(
        keys,
        `${label} ${quote(version)} is not a version line RDS offers`,
        `Choose one of the ${label} lines ${majorLines(engine)}, e.g. ${ENGINES[engine].defaultVersion}.`,
      );
    } else {
      f.error(
        keys,
        `${label} ${version} does not exist on RDS`,
        `${label} ${c.line!.major} starts at ${c.line!.major}.${c.line!.firstMinor} on RDS; write ${c.line!.major}.${c.line!.latestMinor} or just ${c.line!.major}.`,
      );
    }
    return;
  }
  if (c.beyondCatalog) {
    f.warn(
      keys,
      `${label} ${version} is newer than the versions ebdb knows (up to ${c.line.major}.${c.line.latestMinor})`,
      "It is used as written; RDS will refuse it if it does not exist in your region.",
    );
  }
  if (c.line.extendedSupport) {
    f.warn(
      keys,
      `${label} ${c.line.major} is past RDS standard support: it runs only under RDS Extended Support, at extra cost`,
      `Plan an upgrade to ${ENGINES[engine].defaultVersion}.`,
    );
  }
}

function identifierProblem(value: string, max: number, underscores: boolean): string | undefined {
  if (value.length > max) return `is ${value.length} characters long; at most ${max} are allowed`;
  if (!/^[A-Za-z]/.test(value)) return "must start with a letter";
  if (!(underscores ? /^[A-Za-z0-9_]+$/ : /^[A-Za-z0-9]+$/).test(value)) {
    return underscores ? "may hold only letters, digits and underscores" : "may hold only letters and digits";
  }
  return undefined;
}

function checkDbName(engine: Engine, v: Values, f: Findings): void {
  const name = v.str("DB_NAME");
  if (name === undefined) return;
  const max = engine === "postgres" ? 63 : 64;
  const why =
    identifierProblem(name, max, true) ??
    (isReservedWord(engine, name) ? `is a reserved word in ${ENGINES[engine].label}` : undefined) ??
    (SYSTEM_DATABASES[engine].includes(name.toLowerCase())
      ? `is a database ${ENGINES[engine].label} keeps for itself`
      : undefined);
  if (why) {
    f.error(
      ["DB_NAME", "DB_ENGINE"],
      `${quote(name)} ${why}`,
      `Use 1-${max} letters, digits and underscores, a letter first, e.g. "app".`,
    );
  }
}

function checkUsername(engine: Engine, v: Values, f: Findings): void {
  const user = v.str("DB_MASTER_USERNAME");
  if (user === undefined) return;
  const max = engine === "postgres" ? 63 : 32;
  const lower = user.toLowerCase();
  const why =
    identifierProblem(user, max, true) ??
    (["rdsadmin", "rdsrepladmin"].includes(lower) || lower.startsWith("rds_")
      ? "is reserved by RDS"
      : undefined) ??
    (engine === "postgres" && lower.startsWith("pg_")
      ? "starts with pg_, which PostgreSQL reserves for its roles"
      : undefined) ??
    (isReservedWord(engine, user) ? `is a reserved word in ${ENGINES[engine].label}` : undefined);
  if (why) {
    f.error(
      ["DB_MASTER_USERNAME", "DB_ENGINE"],
      `${quote(user)} ${why}`,
      `Use 1-${max} letters, digits and underscores, a letter first, e.g. "dbadmin".`,
    );
  }
}

function checkClass(
  key: "DB_INSTANCE_CLASS" | "DB_READ_REPLICA_INSTANCE_CLASS",
  v: Values,
  f: Findings,
): void {
  const cls = v.str(key);
  if (cls === undefined || instanceClassInfo(cls)) return;
  const guess = nearest(cls.toLowerCase(), INSTANCE_CLASSES.keys());
  if (!isWellFormedInstanceClass(cls)) {
    f.error(
      key,
      `${quote(cls)} is not an instance class`,
      guess
        ? `Did you mean ${guess}?`
        : "Write db.<family>.<size>, e.g. db.t3.micro, db.m5.large or db.r5.2xlarge.",
    );
    return;
  }
  f.warn(
    key,
    `${cls} is not in ebdb's catalog, so its vCPUs, memory and price are unknown`,
    guess
      ? `Did you mean ${guess}? Otherwise it is used as written.`
      : "It is used as written; RDS refuses it if it does not exist for this engine and region.",
  );
}
