import { basename, dirname } from "node:path";
import { replicaName } from "../model/desired.js";
import { ENGINES } from "./catalog/engines.js";
import { type Findings, quote, type Values } from "./rules-context.js";
import type { KeyName } from "./schema.js";

/** RDS names replicas `<identifier>-replica-<n>`; the longest suffix is for replica 15. */
export const REPLICA_SUFFIX_ROOM = "-replica-15".length;
const IDENTIFIER_MAX = 63;

/**
 * APP_NAME's default: the config file's folder name in lower case, each run of other characters
 * turned into one hyphen, starting with a letter ("My_Shop 2" -> "my-shop-2"); "app" when nothing is left.
 */
export function appNameFromFile(file: string): string {
  const folder = basename(dirname(file));
  const slug = folder
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug === "" ? "app" : slug;
}

/** Fills the defaults that depend on other keys, once those keys have been read. */
export function deriveDefaults(file: string, v: Values): void {
  const derive = (key: KeyName, value: string | number | undefined) => {
    if (!v.has(key) && value !== undefined) v.set(key, value, true);
  };
  derive("APP_NAME", appNameFromFile(file));
  const app = v.str("APP_NAME");
  const env = v.str("ENV_NAME");
  derive("EB_APPLICATION_NAME", app);
  derive("EB_ENVIRONMENT_NAME", app !== undefined && env !== undefined ? `${app}-${env}` : undefined);
  derive("DB_INSTANCE_IDENTIFIER", app !== undefined && env !== undefined ? `${app}-${env}-db` : undefined);
  const engine = v.str("DB_ENGINE") as keyof typeof ENGINES | undefined;
  derive("DB_ENGINE_VERSION", engine ? ENGINES[engine].defaultVersion : undefined);
  derive("DB_PORT", engine ? ENGINES[engine].defaultPort : undefined);
  derive("DB_READ_REPLICA_INSTANCE_CLASS", v.str("DB_INSTANCE_CLASS"));
}

/** Where a derived value came from, for messages about a name the user never wrote. */
const DERIVED_FROM: Partial<Record<KeyName, KeyName[]>> = {
  EB_APPLICATION_NAME: ["APP_NAME"],
  EB_ENVIRONMENT_NAME: ["APP_NAME", "ENV_NAME"],
  DB_INSTANCE_IDENTIFIER: ["APP_NAME", "ENV_NAME"],
};

function keysFor(key: KeyName, v: Values): KeyName[] {
  return v.defaulted.has(key) ? [key, ...(DERIVED_FROM[key] ?? [])] : [key];
}

/** How a message names a value: as written, or as derived when the user never wrote it. */
function subject(key: KeyName, v: Values, value: string): string {
  return v.defaulted.has(key) ? `the derived ${key} ${quote(value)}` : quote(value);
}

/** Application, environment and AWS names. */
export function checkNames(v: Values, f: Findings): void {
  for (const key of ["APP_NAME", "ENV_NAME"] as const) {
    const value = v.str(key);
    if (value === undefined) continue;
    const why = slugProblem(value, 40);
    if (why) {
      f.error(
        key,
        `${quote(value)} ${why}`,
        `Use lower-case letters, digits and single hyphens, a letter first, e.g. ${quote(suggestSlug(value))}.`,
      );
    }
  }
  const ebApp = v.str("EB_APPLICATION_NAME");
  if (ebApp !== undefined && (ebApp.length > 100 || ebApp.includes("/"))) {
    f.error(
      keysFor("EB_APPLICATION_NAME", v),
      `${subject("EB_APPLICATION_NAME", v, ebApp)} is not an Elastic Beanstalk application name`,
      "Use 1-100 characters without `/`.",
    );
  }
  const ebEnv = v.str("EB_ENVIRONMENT_NAME");
  if (ebEnv !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$/.test(ebEnv)) {
    f.error(
      keysFor("EB_ENVIRONMENT_NAME", v),
      `${subject("EB_ENVIRONMENT_NAME", v, ebEnv)} is not an Elastic Beanstalk environment name`,
      "Elastic Beanstalk needs 4-40 letters, digits and hyphens, without a hyphen first or last; set EB_ENVIRONMENT_NAME to your environment's name.",
    );
  }
  const region = v.str("AWS_REGION");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/.test(region)) {
    const fixed = /^([a-z]{2}(?:-[a-z]+)+?)-?([0-9])$/.exec(region.trim().toLowerCase().replace(/_/g, "-"));
    f.error(
      "AWS_REGION",
      `${quote(region)} is not an AWS region name`,
      fixed ? `Did you mean ${fixed[1]}-${fixed[2]}?` : "Write a region such as us-east-1 or eu-west-1.",
    );
  }
  const profile = v.optStr("AWS_PROFILE");
  if (profile && /\s/.test(profile)) {
    f.error(
      "AWS_PROFILE",
      `${quote(profile)} contains white space`,
      "Write the profile name as in ~/.aws/config, without spaces.",
    );
  }
  checkIdentifier(v, f);
  checkGroupNames(v, f);
}

/** Existing groups named in config.env must be names AWS can hold (RDS CreateDBSubnetGroup, EC2 CreateSecurityGroup). */
function checkGroupNames(v: Values, f: Findings): void {
  const subnets = v.optStr("DB_SUBNET_GROUP_NAME");
  if (
    typeof subnets === "string" &&
    (!/^[A-Za-z0-9 ._-]{1,255}$/.test(subnets) || subnets.toLowerCase() === "default")
  ) {
    f.error(
      "DB_SUBNET_GROUP_NAME",
      `${quote(subnets)} is not a DB subnet group name`,
      "Use 1-255 letters, digits, spaces, `.`, `_` and `-`, not `default`; or leave it empty for ebdb's own.",
    );
  }
  const sg = v.optStr("DB_SECURITY_GROUP_NAME");
  if (
    typeof sg === "string" &&
    (sg.length > 255 || sg.toLowerCase().startsWith("sg-") || !/^[\x20-\x7e]+$/.test(sg))
  ) {
    f.error(
      "DB_SECURITY_GROUP_NAME",
      `${quote(sg)} is not a security group name`,
      "Write the group's name (not its sg- id): 1-255 printable characters; or leave it empty for ebdb's own.",
    );
  }
}

/** Lower-case letters, digits and single hyphens; a letter first, no hyphen last. */
function slugProblem(value: string, max: number): string | undefined {
  if (value.length > max)
    return `is ${value.length} characters long; at most ${max} fit the names derived from it`;
  if (/[A-Z]/.test(value) && /^[a-zA-Z][a-zA-Z0-9-]*$/.test(value)) return "has upper-case letters";
  if (!/^[a-z]/.test(value)) return "must start with a letter";
  if (!/^[a-z0-9-]+$/.test(value)) return "may hold only lower-case letters, digits and hyphens";
  if (value.includes("--")) return "has two hyphens in a row";
  if (value.endsWith("-")) return "ends with a hyphen";
  return undefined;
}

function suggestSlug(value: string): string {
  const s = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return s === "" ? "my-app" : s.slice(0, 40).replace(/-+$/, "");
}

function checkIdentifier(v: Values, f: Findings): void {
  const id = v.str("DB_INSTANCE_IDENTIFIER");
  if (id === undefined) return;
  const keys = keysFor("DB_INSTANCE_IDENTIFIER", v);
  const what = subject("DB_INSTANCE_IDENTIFIER", v, id);
  const why =
    id.length > IDENTIFIER_MAX
      ? `is ${id.length} characters long; RDS allows ${IDENTIFIER_MAX}`
      : slugProblem(id, IDENTIFIER_MAX);
  if (why) {
    const hint = /[A-Z]/.test(id)
      ? `RDS keeps identifiers in lower case; write ${quote(id.toLowerCase())}.`
      : "RDS identifiers are 1-63 lower-case letters, digits and hyphens, a letter first, no `--` and no hyphen last.";
    f.error(keys, `${what} ${why}`, hint);
    return;
  }
  // Replicas are named <identifier>-replica-<n>; past 63 characters the identifier is cut (replicaName).
  const enabled = v.bool("DB_READ_REPLICA_ENABLED");
  const max = v.int("DB_READ_REPLICA_MAX_CAPACITY");
  const room = IDENTIFIER_MAX - id.length;
  const needed = enabled && max !== undefined && max > 0 ? `-replica-${max}`.length : 0;
  const keep = `Shorten DB_INSTANCE_IDENTIFIER to at most ${IDENTIFIER_MAX - REPLICA_SUFFIX_ROOM} characters to keep full replica names, or leave it so (an existing instance's identifier, such as one Elastic Beanstalk made, cannot change).`;
  if (needed > room) {
    f.warn(
      keys,
      `${what} leaves no room for replica names such as ${quote(`${id}-replica-${max}`)} (${id.length + needed} characters; RDS allows ${IDENTIFIER_MAX}): ebdb names them ${quote(replicaName(id, max!))}`,
      keep,
    );
  } else if (REPLICA_SUFFIX_ROOM > room) {
    f.warn(
      keys,
      `${what} is ${id.length} characters long: replica names up to ${quote(`${id}-replica-15`)} would not fit in RDS's ${IDENTIFIER_MAX}, so ebdb would shorten them (${quote(replicaName(id, 15))})`,
      keep,
    );
  }
}
