import type pg from "pg";
import type { Secret } from "../../model/secret.js";
import { ident, literal } from "./pg-client.js";
import { scramVerifier } from "./secrets.js";

/**
 * The roles of a local database, made to match RDS for PostgreSQL
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.rds_superuser.html):
 *
 * - the master user (DB_MASTER_USERNAME) is `LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE
 *   NOREPLICATION`, a member of `rds_superuser`, and owns the application database (and so its
 *   `public` schema, owned by pg_database_owner since PostgreSQL 15). It cannot reach the operating
 *   system: no COPY ... PROGRAM, no pg_read_file, no ALTER SYSTEM.
 * - `rds_superuser` holds pg_monitor (every session and statistic) and pg_signal_backend (cancel or
 *   end other sessions), and may grant the stand-ins `rds_replication` and `rds_password`.
 * - `rdsadmin` is ebdb's own superuser (RDS's internal one has that name too) and `rdsrepladmin`
 *   streams WAL to replicas. The application never sees their passwords; they live in
 *   .ebdb/<identifier>/internal.json, which only ebdb can read.
 *
 * PostgreSQL 15 and older let a CREATEROLE role grant itself pg_execute_server_program (RDS patches
 * that; PostgreSQL 16 made CREATEROLE safe), so there the master user gets no CREATEROLE.
 */
export const ADMIN_USER = "rdsadmin";
export const REPLICATION_USER = "rdsrepladmin";
export const SUPERUSER_ROLE = "rds_superuser";

/**
 * Settings of ebdb's own sessions: nothing they run is tracked by pg_stat_statements or written to
 * the server log, even when it fails, because some of it carries a password verifier.
 */
const QUIET = [
  ["pg_stat_statements.track", "none"],
  ["log_min_duration_statement", "-1"],
  ["log_statement", "none"],
  ["log_min_error_statement", "panic"],
] as const;

/**
 * SQL for the initdb template (single-user mode, as the bootstrap superuser `rdsadmin`, in
 * template1): the roles every project has. Passwords are set per project (projectSetupSql).
 */
export function templateRolesSql(): string[] {
  return [
    `CREATE ROLE ${SUPERUSER_ROLE} NOLOGIN`,
    `CREATE ROLE rds_replication NOLOGIN`,
    `CREATE ROLE rds_password NOLOGIN`,
    `GRANT pg_monitor, pg_signal_backend TO ${SUPERUSER_ROLE}`,
    `GRANT rds_replication, rds_password TO ${SUPERUSER_ROLE} WITH ADMIN OPTION`,
    // A superuser so that the master user (pg_signal_backend) cannot end the replicas' streams, as
    // RDS protects its own sessions; its password is only in the replicas' 0600 password files.
    `CREATE ROLE ${REPLICATION_USER} LOGIN REPLICATION SUPERUSER`,
    ...QUIET.map(([k, v]) => `ALTER ROLE ${ADMIN_USER} SET ${k} = ${literal(v)}`),
  ];
}

/** SQL run in each database where pg_stat_statements is created: rds_superuser may reset its statistics. */
export function statementsGrantSql(): string {
  return `GRANT EXECUTE ON FUNCTION public.pg_stat_statements_reset TO ${SUPERUSER_ROLE}`;
}

/** CREATE ROLE for the master user, with the attributes RDS gives it (see above for PostgreSQL 15). */
export function createMasterSql(username: string, password: Secret, major: number): string {
  const createRole = major >= 16 ? "CREATEROLE" : "NOCREATEROLE";
  return `CREATE ROLE ${ident(username)} LOGIN NOSUPERUSER INHERIT CREATEDB ${createRole} NOREPLICATION PASSWORD ${literal(scramVerifier(password.reveal()))} IN ROLE ${SUPERUSER_ROLE}`;
}

/** Sets a role's password from its SCRAM verifier: the password itself never travels in SQL. */
export function setPasswordSql(username: string, password: Secret): string {
  return `ALTER ROLE ${ident(username)} PASSWORD ${literal(scramVerifier(password.reveal()))}`;
}

/**
 * Gives the master user `password` on a server (creating the user as RDS makes it when the server
 * has none by that name, e.g. a restore of a backup taken before DB_MASTER_USERNAME changed).
 * `c` must be an admin connection.
 */
export async function setMasterPassword(
  c: pg.Client,
  username: string,
  password: Secret,
  major: number,
): Promise<void> {
  const r = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username]);
  await c.query(
    r.rows.length ? setPasswordSql(username, password) : createMasterSql(username, password, major),
  );
}
