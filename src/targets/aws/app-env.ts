import type { Desired, EnvSecretValue } from "../../model/desired-types.js";
import { Secret } from "../../model/secret.js";
import { connectionVars, percentEncode } from "../connection-vars.js";
import type { ConnectionInfo } from "../target.js";
import { autoscaleNames } from "./autoscale-names.js";
import { EB_RDS_CA_PATH } from "./rds-ca.js";

/** libpq's sslmode in what the EB application gets: the server's certificate and name are verified. */
export const EB_SSLMODE = "verify-full";

/** What the EB application is given, once the database's endpoints are known. */
export interface AppEndpoints {
  /** The primary's address; null while it has none (being created). */
  host: string | null;
  /** The replicas' `host:port` list, or null while one has no endpoint yet. */
  replicas: string[] | null;
  /** RDS Proxy's endpoint (DB_RDS_PROXY_ENABLED); null or absent while it has none. */
  pooler?: { host: string; port: number } | null;
}

/** Variables whose value names the primary's host: unknown while it has none. */
const HOST_NAMES = ["DB_HOST", "RDS_HOSTNAME", "PGHOST", "DATABASE_URL", "JDBC_DATABASE_URL"];

/** The connection as the EB application makes it: the primary, verify-full against the RDS CA bundle on the instances. */
export function ebConnection(
  desired: Desired,
  at: {
    host: string;
    replicas: string[];
    username: string;
    password: string;
    pooler?: { host: string; port: number } | null;
  },
): ConnectionInfo {
  return {
    host: at.host,
    port: desired.primary.port,
    dbName: desired.config.dbName,
    username: at.username,
    password: new Secret(at.password),
    readers: at.replicas.map((hp, i) => {
      const cut = hp.lastIndexOf(":");
      return { name: `replica-${i + 1}`, host: hp.slice(0, cut), port: Number(hp.slice(cut + 1)) };
    }),
    sslmode: EB_SSLMODE,
    sslrootcert: EB_RDS_CA_PATH,
    pooler: at.pooler ?? null,
  };
}

/**
 * Every variable the EB application gets and its value: for PostgreSQL exactly what `ebdb env`
 * prints for the primary (connectionVars: DB_*, DATABASE_URL, DB_REPLICA_HOSTS, RDS_* with
 * EB_RDS_PROPERTIES, libpq's PG*, JDBC_*), the TLS settings naming the RDS CA bundle on the instances;
 * for MySQL and MariaDB the DB_* and RDS_* names and a `mysql://` DATABASE_URL
 * (`ssl-mode=VERIFY_IDENTITY&ssl-ca=`). Names whose value is not known yet (no endpoint) are left out.
 */
export function appVariables(
  desired: Desired,
  at: AppEndpoints & { username: string; password: string },
): Record<string, string> {
  const vars = connectionVars(
    ebConnection(desired, {
      host: at.host ?? "",
      replicas: at.replicas ?? [],
      username: at.username,
      password: at.password,
      pooler: at.pooler,
    }),
    { rdsNames: desired.config.ebRdsProperties },
  );
  if (desired.config.engine !== "postgres" && at.host)
    vars.DATABASE_URL = mysqlUrl(desired, { ...at, host: at.host });
  if (desired.config.engine !== "postgres" && at.pooler)
    vars.DATABASE_POOL_URL = mysqlUrl(desired, { ...at, ...at.pooler });
  // The Route 53 name the autoscaler keeps to the ready replicas (autoscale-names.ts).
  vars.DB_READER_HOST = autoscaleNames(desired.identifier).readerHost;
  vars.DB_READER_PORT = String(desired.primary.port);
  const out: Record<string, string> = {};
  for (const name of desired.eb.properties) {
    if (!(name in vars)) continue;
    if (at.host === null && HOST_NAMES.includes(name)) continue;
    if (at.replicas === null && name === "DB_REPLICA_HOSTS") continue;
    out[name] = vars[name];
  }
  return out;
}

/** `mysql://user:password@host:port/db?ssl-mode=VERIFY_IDENTITY&ssl-ca=PATH`, parts percent-encoded. */
function mysqlUrl(
  desired: Desired,
  at: { host: string; port?: number; username: string; password: string },
): string {
  const e = percentEncode;
  const ca = e(EB_RDS_CA_PATH).replace(/%2F/g, "/");
  return `mysql://${e(at.username)}:${e(at.password)}@${at.host}:${at.port ?? desired.primary.port}/${e(desired.config.dbName)}?ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca}`;
}

/** The plain environment properties among the variables (never one holding a secret). */
export function plainValues(desired: Desired, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars)) if (!(name in desired.eb.secrets)) out[name] = value;
  return out;
}

/**
 * The value each env-secret secret holds (null until it is known): the variables' values, one per
 * secret (every variable of a secret has the same value).
 */
export function secretValues(
  desired: Desired,
  vars: Record<string, string>,
): Record<EnvSecretValue, string | null> {
  const out: Record<EnvSecretValue, string | null> = { password: null, url: null, jdbc: null, poolUrl: null };
  for (const [name, which] of Object.entries(desired.eb.secrets)) {
    if (name in vars) out[which] = vars[name];
  }
  return out;
}
