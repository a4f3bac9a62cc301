import type { DBInstance } from "@aws-sdk/client-rds";
import type { Desired } from "../../model/desired-types.js";
import type { LiveEnv, WantedWiring } from "./eb.js";
import type { LiveSg } from "./network.js";

export interface Endpoints {
  primary: string | null;
  /** Replica endpoints (`host:port`, as `ebdb env` prints them) in index order; null when one has none yet. */
  replicas: string[] | null;
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
 * The EB environment's wiring ebdb wants: DB_HOST, DB_PORT, DB_NAME, DB_USERNAME and the replicas'
 * hosts as properties; DB_PASSWORD as a reference to the secret when the platform resolves secrets,
 * else as a plain property; the client security group in the launch configuration (client-sg access)
 * or not (eb-sg access). Properties whose value is not known yet (no endpoint) are left out.
 */
export function wantedWiring(
  desired: Desired,
  env: LiveEnv,
  opts: {
    endpoints: Endpoints;
    secretArn: string | null;
    password: string | null;
    secretsSupported: boolean;
    clientSg: LiveSg | null;
  },
): WantedWiring {
  const c = desired.config;
  const properties: Record<string, string> = {};
  const secretRefs: Record<string, string> = {};
  for (const name of desired.eb.properties) {
    switch (name) {
      case "DB_HOST":
        if (opts.endpoints.primary) properties[name] = opts.endpoints.primary;
        break;
      case "DB_PORT":
        properties[name] = String(desired.primary.port);
        break;
      case "DB_NAME":
        properties[name] = c.dbName;
        break;
      case "DB_USERNAME":
        properties[name] = c.masterUsername;
        break;
      case "DB_REPLICA_HOSTS":
      case "DB_READ_HOSTS":
        if (opts.endpoints.replicas) properties[name] = opts.endpoints.replicas.join(",");
        break;
      case "DB_PASSWORD":
        if (opts.secretsSupported && opts.secretArn) secretRefs[name] = opts.secretArn;
        else if (opts.password !== null) properties[name] = opts.password;
        break;
    }
  }
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
  return { properties, secretRefs, securityGroups, names: [...desired.eb.properties] };
}
