import type { ConnectionInfo } from "./target.js";

/** One server of the database: the primary, a replica or a restored instance. */
export interface NodeAddress {
  host: string;
  port: number;
}

/**
 * Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~), so the
 * value reads back exactly in every URL parser, including those that take `+` for a space in a
 * query (node's URLSearchParams, Java's URLDecoder, Python's parse_qsl), and the URL itself needs
 * no quoting in any .env reader (no quote, `$`, backtick or backslash is left in it).
 */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** A file path as a URL query value: percent-encoded, its slashes kept for reading. */
function pathParam(path: string): string {
  return percentEncode(path).replace(/%2F/g, "/");
}

/** The TLS part of a URL's query: sslmode, and sslrootcert when the target names a CA file. */
function tlsQuery(c: ConnectionInfo): string {
  const root = c.sslrootcert ? `&sslrootcert=${pathParam(c.sslrootcert)}` : "";
  return `sslmode=${c.sslmode}${root}`;
}

/**
 * `postgresql://user:password@host:port/db?sslmode=verify-full&sslrootcert=/path/ca.crt`, every part
 * percent-encoded: a URL libpq (psql, psycopg2), node-postgres (pg-connection-string reads
 * sslrootcert as the CA and verify-full as full verification) and SQLAlchemy take unchanged.
 * `node` (default the primary) is another instance's address. Source:
 * https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS
 */
export function connectionUrl(c: ConnectionInfo, node?: NodeAddress): string {
  const e = percentEncode;
  const host = node?.host ?? c.host;
  const port = node?.port ?? c.port;
  return `postgresql://${e(c.username)}:${e(c.password.reveal())}@${host}:${port}/${e(c.dbName)}?${tlsQuery(c)}`;
}

/**
 * The JDBC URL as Heroku-style buildpacks set JDBC_DATABASE_URL, with the credentials as the
 * `user` and `password` parameters (percent-encoded; pgjdbc URL-decodes each parameter):
 * `jdbc:postgresql://host:port/db?user=U&password=P&sslmode=verify-full&sslrootcert=/path/ca.crt`.
 * Source: https://jdbc.postgresql.org/documentation/use/#connection-parameters
 */
export function jdbcUrl(c: ConnectionInfo, node?: NodeAddress): string {
  const e = percentEncode;
  const host = node?.host ?? c.host;
  const port = node?.port ?? c.port;
  return `jdbc:postgresql://${host}:${port}/${e(c.dbName)}?user=${e(c.username)}&password=${e(c.password.reveal())}&${tlsQuery(c)}`;
}

export interface VarsOptions {
  /** The instance to connect to (`--instance`, `--replica`), default the primary: its address everywhere. */
  node?: NodeAddress & { role: "primary" | "replica" | "restored" };
  /** EB_RDS_PROPERTIES: also the names EB gives a coupled database (RDS_HOSTNAME, ...). */
  rdsNames?: boolean;
}

/**
 * What an application needs to connect, under every name frameworks read (values exact, nothing
 * escaped; the formats quote them):
 * - the names the Elastic Beanstalk environment gets on AWS: DB_HOST, DB_PORT, DB_NAME,
 *   DB_USERNAME, DB_PASSWORD, DATABASE_URL (verify-full with the CA), DB_REPLICA_HOSTS (the read
 *   replicas as comma-separated host:port; empty without replicas, and for any instance but the
 *   primary);
 * - with a pooler in front of the primary (RDS Proxy, the local PgBouncer): DB_POOL_HOST, DB_POOL_PORT
 *   and DATABASE_POOL_URL, the same credentials and TLS settings through it, for the application's
 *   many short connections; DATABASE_URL stays direct, for migrations and anything that needs a session;
 * - with `rdsNames`, EB's coupled-database names RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME,
 *   RDS_PASSWORD (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/create-deploy-python-rds.html);
 * - libpq's PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, which every
 *   libpq-based client reads (psql, psycopg2 and so Django), so they verify the server too
 *   (https://www.postgresql.org/docs/current/libpq-envars.html);
 * - JDBC_DATABASE_URL, JDBC_DATABASE_USERNAME, JDBC_DATABASE_PASSWORD as Heroku-style buildpacks set them.
 */
export function connectionVars(c: ConnectionInfo, opts: VarsOptions = {}): Record<string, string> {
  const node = opts.node ?? { host: c.host, port: c.port, role: "primary" as const };
  const password = c.password.reveal();
  const vars: Record<string, string> = {
    DB_HOST: node.host,
    DB_PORT: String(node.port),
    DB_NAME: c.dbName,
    DB_USERNAME: c.username,
    DB_PASSWORD: password,
    DATABASE_URL: connectionUrl(c, node),
    DB_REPLICA_HOSTS: node.role === "primary" ? c.readers.map((r) => `${r.host}:${r.port}`).join(",") : "",
  };
  // The pooler serves the primary only: another instance's settings leave it out.
  if (c.pooler && node.role === "primary") {
    Object.assign(vars, {
      DB_POOL_HOST: c.pooler.host,
      DB_POOL_PORT: String(c.pooler.port),
      DATABASE_POOL_URL: connectionUrl(c, c.pooler),
    });
  }
  if (opts.rdsNames) {
    Object.assign(vars, {
      RDS_HOSTNAME: node.host,
      RDS_PORT: String(node.port),
      RDS_DB_NAME: c.dbName,
      RDS_USERNAME: c.username,
      RDS_PASSWORD: password,
    });
  }
  Object.assign(vars, {
    PGHOST: node.host,
    PGPORT: String(node.port),
    PGDATABASE: c.dbName,
    PGUSER: c.username,
    PGPASSWORD: password,
    PGSSLMODE: c.sslmode,
    ...(c.sslrootcert ? { PGSSLROOTCERT: c.sslrootcert } : {}),
    JDBC_DATABASE_URL: jdbcUrl(c, node),
    JDBC_DATABASE_USERNAME: c.username,
    JDBC_DATABASE_PASSWORD: password,
  });
  return vars;
}
