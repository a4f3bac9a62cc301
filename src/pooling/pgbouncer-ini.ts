/**
 * PgBouncer's configuration as ebdb writes it (pure text rendering), for the PgBouncer the local
 * target runs in front of the primary and for the one `ebdb pooler pgbouncer` has the application run
 * beside itself. Settings: https://www.pgbouncer.org/config.html (1.18, the version Debian 12 ships).
 *
 * Both pool in transaction mode, and both reach the server with verified TLS (`server_tls_sslmode =
 * verify-full` against the CA that signs the server's certificate): the spec's own pgbouncer.ini
 * connects without TLS, which RDS with `rds.force_ssl=1` and the local servers refuse. Clients
 * authenticate with SCRAM against `auth_file`; relative paths are read from PgBouncer's working
 * directory (its run directory), so the same file works wherever that is.
 */

/** The least PgBouncer ebdb's files work with: SCRAM in auth_file and verify-full to the server. */
export const PGBOUNCER_MIN_VERSION = "1.14";
/** The version these files are tested with (Debian 12's). */
export const PGBOUNCER_TESTED_VERSION = "1.18";
/** max_client_conn: clients PgBouncer accepts (the spec's figure); each costs it a file descriptor, not a server connection. */
export const MAX_CLIENT_CONN = 1000;

export interface PoolSettings {
  /** 127.0.0.1: only the application on this machine reaches it. */
  listenPort: number;
  /** Server connections per database and user (default_pool_size); also the database's cap (max_db_connections). */
  poolSize: number;
}

function settingsLines(p: PoolSettings): string[] {
  return [
    "listen_addr = 127.0.0.1",
    `listen_port = ${p.listenPort}`,
    // No Unix socket: nothing to collide with another PgBouncer's /tmp/.s.PGSQL.6432.
    "unix_socket_dir =",
    "pool_mode = transaction",
    `max_client_conn = ${MAX_CLIENT_CONN}`,
    `default_pool_size = ${p.poolSize}`,
    // The pool is the cap: no reserve pool on top, and no other user's pool adds to the database's share.
    "reserve_pool_size = 0",
    `max_db_connections = ${p.poolSize}`,
    "auth_type = scram-sha-256",
    "auth_file = userlist.txt",
    "server_tls_sslmode = verify-full",
    "server_tls_ca_file = ca.crt",
    // pgjdbc sends extra_float_digits at start-up; PgBouncer refuses unknown start-up parameters otherwise.
    "ignore_startup_parameters = extra_float_digits",
    // Hundreds of short connections a second would fill the log with one line each.
    "log_connections = 0",
    "log_disconnections = 0",
  ];
}

/**
 * A PgBouncer [databases] line: `name = host=H port=P dbname=D`, a value with anything but letters,
 * digits and `_.-` in single quotes, a quote doubled (PgBouncer's loader.c reads no backslash escapes).
 */
export function databaseLine(name: string, host: string, port: number, dbname: string): string {
  const v = (s: string) => (/^[A-Za-z0-9_.-]+$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`);
  return `${name} = host=${v(host)} port=${port} dbname=${v(dbname)}`;
}

/**
 * One auth_file line: `"user" "secret"`, a `"` inside doubled (PgBouncer's auth_file syntax). The
 * secret is a plain password or a SCRAM verifier (`SCRAM-SHA-256$...`, as pg_authid holds it): with
 * a verifier PgBouncer checks clients and logs in to the server without ever knowing the password.
 */
export function userlistLine(user: string, secret: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `${q(user)} ${q(secret)}\n`;
}

/**
 * The local target's pgbouncer.ini: in front of the primary at 127.0.0.1:`primaryPort`, database
 * `dbName`; TLS from clients too (the project's certificate, so DATABASE_POOL_URL verifies it as
 * DATABASE_URL verifies the server); `admin` may RELOAD and SHOW (ebdb's own user), `stats` may SHOW.
 * Runs in the foreground under ebdb (no pidfile, logs to stderr, which ebdb sends to a file).
 */
export function localPgbouncerIni(
  p: PoolSettings & { primaryPort: number; dbName: string; admin: string; stats: string; identifier: string },
): string {
  return [
    `; Written by ebdb for ${p.identifier}: PgBouncer in front of the primary (the local stand-in for RDS Proxy). ebdb rewrites it.`,
    "[pgbouncer]",
    ...settingsLines(p),
    "client_tls_sslmode = require",
    "client_tls_cert_file = server.crt",
    "client_tls_key_file = server.key",
    `admin_users = ${p.admin}`,
    `stats_users = ${p.stats}`,
    "",
    "[databases]",
    databaseLine(p.dbName, "127.0.0.1", p.primaryPort, p.dbName),
    "",
  ].join("\n");
}

/**
 * The application's pgbouncer.ini (`ebdb pooler pgbouncer`): nothing secret and nothing that changes
 * per deployment. start.sh writes beside it, in a run directory at start-up, userlist.txt (0600, from
 * DB_USERNAME and DB_PASSWORD), ca.crt (a copy of PGSSLROOTCERT) and databases.ini (DB_HOST, DB_PORT,
 * DB_NAME), which the last line includes. Clients on this machine connect without TLS (loopback).
 */
export function appPgbouncerIni(p: PoolSettings & { poolSizeWhy: string }): string {
  return [
    "; Written by `ebdb pooler pgbouncer`: PgBouncer beside the application, in transaction mode.",
    "; Start it with start.sh (beside this file): it writes userlist.txt, ca.crt and databases.ini",
    "; from the environment into its run directory, PgBouncer's working directory.",
    `; default_pool_size: ${p.poolSizeWhy}`,
    "[pgbouncer]",
    ...settingsLines(p),
    "logfile = pgbouncer.log",
    "pidfile = pgbouncer.pid",
    "",
    "[databases]",
    "%include databases.ini",
    "",
  ].join("\n");
}
