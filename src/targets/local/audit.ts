import { join } from "node:path";
import type pg from "pg";
import type { AuditObservation, RestoreTest } from "../../audit/types.js";
import { ENGINES } from "../../config/catalog/engines.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Layout } from "./layout.js";
import { localPoolerStatus } from "./pgbouncer-status.js";
import type { Session } from "./session.js";
import { localStatus } from "./status.js";

/** How many restore tests the project keeps. */
const KEEP_TESTS = 20;

/** Where `restore` notes the restores it made: .ebdb/<identifier>/restore-tests.json (root's, 0600). */
export function restoreTestsFile(l: Layout): string {
  return join(l.stateDir, "restore-tests.json");
}

/** The recorded restore tests, newest first ([] when none, or the file is not ebdb's). */
export async function readRestoreTests(l: Layout): Promise<RestoreTest[]> {
  try {
    const list = JSON.parse((await readFileSafe(restoreTestsFile(l))) ?? "[]") as unknown;
    if (!Array.isArray(list)) return [];
    return list
      .filter(
        (t): t is RestoreTest =>
          typeof t?.at === "string" && typeof t?.instance === "string" && typeof t?.source === "string",
      )
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  } catch {
    return [];
  }
}

/** Adds a restore test to the project's record (the caller holds the project's lock). */
export async function recordLocalRestoreTest(l: Layout, t: RestoreTest): Promise<void> {
  const list = [t, ...(await readRestoreTests(l))].slice(0, KEEP_TESTS);
  await writeFileMode(restoreTestsFile(l), `${JSON.stringify(list, null, 2)}\n`, 0o600);
}

/**
 * Tables the common migration tools keep their history in: Rails, golang-migrate and dbmate
 * (schema_migrations), Django, Alembic, Flyway (and its old schema_version), Liquibase, Prisma,
 * Knex, Sequelize, TypeORM and Laravel (migrations), Doctrine, goose, Entity Framework, node-pg-migrate.
 */
export const MIGRATION_TABLES = [
  "schema_migrations",
  "django_migrations",
  "alembic_version",
  "flyway_schema_history",
  "schema_version",
  "databasechangelog",
  "_prisma_migrations",
  "knex_migrations",
  "sequelizemeta",
  "migrations",
  "doctrine_migration_versions",
  "goose_db_version",
  "__efmigrationshistory",
  "pgmigrations",
];

interface ServerFacts {
  version: string;
  ssl: boolean;
  /** pg_hba.conf lines that admit TCP without TLS. */
  plainHba: number;
  preloaded: boolean;
  statements: boolean;
  migrations: string[];
}

async function serverFacts(c: pg.Client): Promise<ServerFacts> {
  const r = await c.query(
    `SELECT current_setting('server_version') AS version,
            current_setting('ssl') = 'on' AS ssl,
            (SELECT count(*) FROM pg_hba_file_rules WHERE type IN ('host', 'hostnossl'))::int AS plain_hba,
            'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS preloaded,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS statements,
            ARRAY(SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p') AND lower(c.relname) = ANY ($1::text[])
                    AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1) AS migrations`,
    [MIGRATION_TABLES],
  );
  const row = r.rows[0];
  return {
    version: String(row.version).split(/\s/)[0],
    ssl: row.ssl,
    plainHba: row.plain_hba,
    preloaded: row.preloaded,
    statements: row.statements,
    migrations: row.migrations,
  };
}

/**
 * What `ebdb audit` judges on the local target: the primary's real settings (TLS, pg_hba.conf,
 * pg_stat_statements, version, migration tables, as ebdb's superuser), the WAL archive's retention,
 * PgBouncer, and the restore tests `restore` noted. Multi-AZ, encryption at rest and CloudWatch
 * alarms do not exist on one machine: the reasons say so, and what gives them on AWS.
 */
export async function localAudit(s: Session): Promise<AuditObservation> {
  const [status, pooler, tests] = await Promise.all([
    localStatus(s),
    localPoolerStatus(s),
    readRestoreTests(s.layout),
  ]);
  const primary = status.nodes.find((n) => n.role === "primary");
  const running = primary?.state === "running" && primary.port !== null;
  let facts: ServerFacts | null = null;
  let unreadable = primary ? `${primary.name} is ${primary.state}: run \`ebdb up\`` : "run `ebdb up` first";
  if (running) {
    try {
      facts = await s.withAdmin(primary.port!, s.config.dbName, serverFacts);
    } catch (e) {
      unreadable = `ebdb could not query ${primary.name}: ${(e as Error).message}`;
    }
  }
  const c = s.config;
  const line = ENGINES[c.engine].lines.find((l) => l.major === c.engineMajor);
  const current = facts?.version ?? status.engineVersion;
  return {
    target: "local",
    identifier: c.identifier,
    at: new Date().toISOString(),
    engine: c.engine,
    state: primary?.state ?? "not created",
    multiAz: null,
    backupRetentionDays: status.backups.enabled ? status.backups.retentionDays : 0,
    encryptionAtRest: null,
    encryptionInTransit: facts
      ? {
          enforced: facts.ssl && facts.plainHba === 0,
          how: `ssl=${facts.ssl ? "on" : "off"}; pg_hba.conf admits TCP ${facts.plainHba === 0 ? "only as hostssl" : `without TLS on ${facts.plainHba} line(s)`}`,
        }
      : null,
    pooling: {
      configured: c.rdsProxy,
      kind: "pgbouncer",
      state: pooler?.state ?? null,
      detail: pooler?.note ?? (pooler?.port ? `127.0.0.1:${pooler.port}` : ""),
    },
    alarms: null,
    insights: facts
      ? {
          enabled: facts.preloaded && facts.statements,
          kind: "pg_stat_statements (Performance Insights' local counterpart)",
          detail: facts.preloaded
            ? facts.statements
              ? "per-query statistics, read by `ebdb doctor` (top-queries)"
              : `preloaded, but the extension is not created in ${c.dbName}`
            : "not in shared_preload_libraries",
        }
      : null,
    restoreTests: tests,
    version: {
      current,
      latestMinor: line ? `${line.major}.${line.latestMinor}` : null,
      autoMinorVersionUpgrade: null,
    },
    parameterGroup: {
      name: "ebdb's server settings",
      custom: true,
      detail:
        "the local counterpart of a custom parameter group: ebdb writes the servers' settings from config.env (TLS only, slow queries logged from DB_SLOW_QUERY_MS, pg_stat_statements)",
    },
    migrations: facts ? { tables: facts.migrations } : null,
    reasons: {
      "multi-az": `does not apply locally: the servers run on one machine, with no second zone (on AWS, DB_MULTI_AZ=${c.multiAz} in config.env)`,
      encryption: `does not apply locally (the data are files on this machine's disk: encrypt the disk, e.g. LUKS; on AWS DB_STORAGE_ENCRYPTED=${c.storage.encrypted})`,
      alarms:
        "does not apply locally: there is no CloudWatch here; `ebdb doctor` checks the same signals (CPU, storage, connections, replica lag) when run",
      "performance-insights": unreadable,
      migrations: unreadable,
    },
  };
}
