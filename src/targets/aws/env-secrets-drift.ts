import type { Change } from "../../model/change.js";
import type { Desired, EnvSecretValue } from "../../model/desired-types.js";
import { appVariables, secretValues } from "./app-env.js";
import { type LiveEnvSecrets, reloadDue } from "./env-secrets.js";
import type { AwsLive } from "./observe.js";
import { replicaEndpoints } from "./wiring.js";

/** The env-secret secrets, in the order they are made. */
export const ENV_SECRET_VALUES: readonly EnvSecretValue[] = ["password", "url", "jdbc", "poolUrl"];
const WHICH = ENV_SECRET_VALUES;

/** ARNs of the env-secret secrets that exist and are not scheduled for deletion. */
export function existingArns(s: LiveEnvSecrets): Partial<Record<EnvSecretValue, string>> {
  const out: Partial<Record<EnvSecretValue, string>> = {};
  for (const w of WHICH) {
    const x = s[w];
    if (x && !x.deleted) out[w] = x.arn;
  }
  return out;
}

/** The EB variables whose values come from the `which` secret. */
function variablesOf(desired: Desired, which: EnvSecretValue): string[] {
  return Object.entries(desired.eb.secrets)
    .filter(([, w]) => w === which)
    .map(([name]) => name);
}

const CREATE_REASON: Record<EnvSecretValue, (d: Desired, name: string) => string> = {
  password: (d, name) =>
    `Creates secret ${name} holding only the password, for EB's ${variablesOf(d, "password").join(", ")} (Elastic Beanstalk puts a secret's whole value in a variable; ${d.secret.name} holds RDS's JSON)`,
  url: (_d, name) =>
    `Creates secret ${name} holding DATABASE_URL (sslmode=verify-full against the RDS CA bundle), for EB's DATABASE_URL`,
  jdbc: (_d, name) =>
    `Creates secret ${name} holding JDBC_DATABASE_URL (sslmode=verify-full against the RDS CA bundle), for EB's JDBC_DATABASE_URL`,
  poolUrl: (d, name) =>
    `Creates secret ${name} holding DATABASE_POOL_URL (through RDS Proxy ${d.config.names.proxy}, sslmode=verify-full), for EB's DATABASE_POOL_URL`,
};

const URL_NAME: Record<EnvSecretValue, string> = {
  password: "DB_PASSWORD",
  url: "DATABASE_URL",
  jdbc: "JDBC_DATABASE_URL",
  poolUrl: "DATABASE_POOL_URL",
};

/**
 * The env-secret secrets against what they should hold (the password `password` will have after
 * this plan, and DATABASE_URL once `host` is known): changes to create, restore or update them
 * (never showing a value), and the EB variables whose application must reload (a value changes, or
 * a newer version than the application loaded).
 */
export function envSecretDrift(
  live: AwsLive,
  desired: Desired,
  password: string | null,
  host: string | null,
  pooler: { host: string; port: number } | null = null,
): { changes: Change[]; reload: string[] } {
  const changes: Change[] = [];
  const reload: string[] = [];
  const want: Record<EnvSecretValue, string | null> = password
    ? secretValues(
        desired,
        appVariables(desired, {
          host,
          replicas: replicaEndpoints(live.instances.replicas),
          pooler,
          username: desired.config.masterUsername,
          password,
        }),
      )
    : { password: null, url: null, jdbc: null, poolUrl: null };
  for (const which of WHICH) {
    const name = desired.secret.variables[which];
    const s = live.envSecrets[which];
    // One no longer wanted and scheduled for deletion (DATABASE_POOL_URL once the proxy is off) stays so.
    if (variablesOf(desired, which).length === 0 && (!s || s.deleted)) continue;
    if (!s) {
      changes.push({
        resource: name,
        kind: "secret",
        action: "create",
        impact: "none",
        reason: CREATE_REASON[which](desired, name),
      });
      continue;
    }
    if (s.deleted) {
      changes.push({
        resource: name,
        kind: "secret",
        action: "update",
        field: "restore",
        impact: "none",
        reason: `Restores secret ${name} (a destroy scheduled it for deletion)`,
      });
      continue;
    }
    const changing = want[which] !== null && s.value !== want[which];
    if (changing) {
      changes.push({
        resource: name,
        kind: "secret",
        action: "update",
        field: "value",
        impact: "none",
        reason:
          which === "password"
            ? `Stores the current master password in secret ${name}`
            : `Updates ${URL_NAME[which]} in secret ${name} to the database's current host, port, user and password`,
      });
    }
    const referenced = variablesOf(desired, which).filter((v) => live.env.secretRefs[v] === s.arn);
    if (referenced.length > 0 && (changing || reloadDue(s))) reload.push(...referenced);
  }
  return { changes, reload };
}

/**
 * What ebdb will not do on this environment: on a platform version without environment secrets
 * (released before 26 March 2025), the secret variables are not set, since ebdb never puts a
 * password in a plain environment property.
 */
export function refusedOf(live: AwsLive, desired: Desired): Change[] {
  if (live.secretsSupported) return [];
  const names = Object.keys(desired.eb.secrets);
  const leftPlain = names.filter((n) => n in live.env.properties);
  return [
    {
      resource: desired.eb.environment,
      kind: "eb-environment",
      action: "update",
      field: "secretVariables",
      to: names,
      impact: "restart",
      reason: `${names.join(", ")} are not set on EB environment ${desired.eb.environment}: its platform version was released before 26 March 2025 and cannot resolve Secrets Manager references, and ebdb never puts a password in a plain environment property (anyone who may describe the environment's configuration reads those). Update the environment's platform version (eb upgrade, or "Change platform version" in the console), then run ebdb up again.${
        leftPlain.length > 0
          ? ` ${leftPlain.join(", ")} ${leftPlain.length > 1 ? "are plain properties" : "is a plain property"} left by an earlier ebdb: left as ${leftPlain.length > 1 ? "they are" : "it is"}, no longer kept in step with the password, and replaced by a secret reference once the platform is updated.`
          : ""
      }`,
    },
  ];
}
