import type { DBInstance } from "@aws-sdk/client-rds";
import type { Desired, EnvSecretValue } from "../../model/desired-types.js";
import { ebPropertiesFor, ebSecretsFor } from "../../model/desired.js";
import { appVariables, plainValues } from "./app-env.js";
import type { LiveEnv, WantedWiring } from "./eb.js";
import type { LiveSg } from "./network.js";

export interface Endpoints {
  primary: string | null;
  /** Replica endpoints (`host:port`, as `ebdb env` prints them) in index order; null when one has none yet. */
  replicas: string[] | null;
  /** RDS Proxy's endpoint, when the configuration wants it and it has one. */
  pooler?: { host: string; port: number } | null;
}

/** The replicas' `host:port` list, or null while one of them has no endpoint. */
export function replicaEndpoints(replicas: DBInstance[]): string[] | null {
  const out: string[] = [];
  for (const r of replicas) {
    if (!r.Endpoint?.Address) return null;
    out.push(`${r.Endpoint.Address}:${r.Endpoint.Port ?? 0}`);
  }
  return out;
}

/**
 * The EB environment's wiring ebdb wants: every variable `ebdb env` prints for the primary (see
 * appVariables), the plain ones as environment properties and those holding a secret (the password,
 * DATABASE_URL, JDBC_DATABASE_URL) as environment secrets, each a reference to a secret holding exactly
 * its value, when the platform resolves them. A secret is never a plain property: on a platform without
 * environment secrets the secret variables are left out (and the plan says so). The client security
 * group goes in the launch configuration (client-sg access) or not (eb-sg access). Variables whose
 * value is not known yet (no endpoint) and secrets not made yet are left out.
 */
export function wantedWiring(
  desired: Desired,
  env: LiveEnv,
  opts: {
    endpoints: Endpoints;
    /** ARNs of the env-secret secrets that exist (not scheduled for deletion). */
    envSecretArns: Partial<Record<EnvSecretValue, string>>;
    secretsSupported: boolean;
    clientSg: LiveSg | null;
  },
): WantedWiring {
  const at = {
    host: opts.endpoints.primary,
    replicas: opts.endpoints.replicas,
    pooler: opts.endpoints.pooler,
    username: desired.config.masterUsername,
    // Plain values never depend on the password (a stand-in checks that none carries it).
    password: PROBE,
  };
  const properties = plainValues(desired, appVariables(desired, at));
  for (const [k, v] of Object.entries(properties)) {
    if (v.includes(PROBE)) throw new Error(`internal error: EB property ${k} would carry the password`);
  }
  const secretRefs: Record<string, string> = {};
  if (opts.secretsSupported) {
    for (const [name, which] of Object.entries(desired.eb.secrets)) {
      const arn = opts.envSecretArns[which];
      if (arn) secretRefs[name] = arn;
    }
  }
  // What ebdb would give every name it may manage: a name no longer wanted is removed only when its
  // value is ebdb's (RDS_* may be a coupled database's, PG* or DATABASE_URL the user's own).
  const every = {
    ...desired.config,
    ebRdsProperties: true,
    rdsProxy: true,
    replicas: {
      ...desired.config.replicas,
      enabled: true,
      max: Math.max(desired.config.replicas.max, desired.config.replicas.min + 1),
    },
  };
  const all: Desired = {
    ...desired,
    config: every,
    eb: { ...desired.eb, properties: ebPropertiesFor(every), secrets: ebSecretsFor(every) },
  };
  const ours = plainValues(all, appVariables(all, at));
  let securityGroups: string[] | null = null;
  const sg = opts.clientSg;
  if (sg) {
    const listed = env.securityGroups.includes(sg.id) || env.securityGroups.includes(sg.name);
    if (desired.network.clientSecurityGroup !== null && !listed)
      securityGroups = [...env.securityGroups, sg.id];
    if (desired.network.clientSecurityGroup === null && listed) {
      securityGroups = env.securityGroups.filter((g) => g !== sg.id && g !== sg.name);
    }
  }
  return {
    properties,
    secretRefs,
    securityGroups,
    names: [...desired.eb.properties],
    ours,
    ourArns: Object.values(opts.envSecretArns).filter((a): a is string => Boolean(a)),
  };
}

const PROBE = "ebdb-password-probe-9f3c";
