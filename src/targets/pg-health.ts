import type pg from "pg";
import type { PgFacts, StatementsFacts } from "../doctor/observation.js";
import { HEALTH_QUERIES } from "../doctor/sql.js";
import {
  STATEMENTS_LOOKUP_SQL,
  STATEMENTS_PRELOAD_SQL,
  STATEMENTS_VERIFY_SQL,
  statementColumns,
  statementsTopSql,
  statementsViewSql,
} from "../doctor/statements-sql.js";

/**
 * Runs the doctor's SQL (doctor/sql.ts) on a connection whose search_path is pinned to
 * `pg_catalog, pg_temp` (both targets connect so), and parses it into PgFacts. Each query is bounded
 * (statement_timeout 5 s, lock_timeout 1 s), so a busy or locked server cannot stall the doctor; a
 * query that fails throws, naming it.
 */
export async function readPgFacts(c: pg.Client, opts: { light?: boolean } = {}): Promise<PgFacts> {
  await c.query("SET statement_timeout = '5s'; SET lock_timeout = '1s'");
  const parts: Record<string, unknown> = {};
  // `top` (light) refreshes every few seconds: only the live figures, not the catalog's checks.
  const queries = opts.light ? HEALTH_QUERIES.filter((q) => LIGHT.has(q.id)) : HEALTH_QUERIES;
  for (const q of queries) {
    try {
      parts[q.id] = (await c.query<{ j: unknown }>(q.sql)).rows[0]?.j;
    } catch (e) {
      throw new Error(`the ${q.id} query failed: ${(e as Error).message}`);
    }
  }
  const statements = await readStatements(c);
  const server = parts.server as {
    versionNum: number;
    database: string;
    max: number;
    reservedForSuperuser: number;
    used: number;
    byApplication: PgFacts["connections"]["byApplication"];
    statsReset: string | null;
    schemas: number;
  };
  const activity = parts.activity as Pick<
    PgFacts,
    "idleInTransaction" | "longTransactions" | "longQueries" | "blocked"
  >;
  return {
    versionNum: server.versionNum,
    database: server.database,
    connections: {
      used: server.used,
      max: server.max,
      reservedForSuperuser: server.reservedForSuperuser,
      byApplication: server.byApplication,
    },
    ...activity,
    statements,
    cache: { ...NO_CACHE, ...numbers(parts.cache) } as PgFacts["cache"],
    unusedIndexes: list(parts.unusedIndexes),
    duplicateIndexes: list(parts.duplicateIndexes),
    foreignKeysWithoutIndex: list(parts.foreignKeysWithoutIndex),
    bloat: list(parts.bloat),
    nullIndexes: list(parts.nullIndexes),
    hotUpdates: list(parts.hotUpdates),
    sequences: list(parts.sequences),
    wraparound: (parts.wraparound as PgFacts["wraparound"]) ?? { databases: [], tables: [] },
    unlogged: list(parts.unlogged),
    schemas: Number(server.schemas),
    statsReset: server.statsReset ? new Date(server.statsReset).toISOString() : null,
  };
}

/** The queries `top` needs: connections, activity (pg_stat_statements is read besides). */
const LIGHT = new Set(["server", "activity"]);
const NO_CACHE = { heapHit: 0, heapRead: 0, indexHit: 0, indexRead: 0, heapRereads: 0, indexRereads: 0 };

function list<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function numbers(v: unknown): Record<string, number> {
  return Object.fromEntries(Object.entries((v ?? {}) as object).map(([k, x]) => [k, Number(x)]));
}

const none = (state: StatementsFacts["state"], detail: string, extra: Partial<StatementsFacts> = {}) => ({
  state,
  detail,
  version: null,
  schema: null,
  totalColumn: null,
  top: [],
  totalMs: 0,
  ...extra,
});

/**
 * pg_stat_statements, read through a temporary view bound to the extension's own function and
 * checked before use (see doctor/statements-sql.ts for why and how).
 */
export async function readStatements(c: pg.Client): Promise<StatementsFacts> {
  const found = (
    await c.query<{
      version: string;
      schema: string;
      fn: string | null;
      fn_schema: string | null;
      loaded: boolean;
      recovery: boolean;
    }>(STATEMENTS_LOOKUP_SQL)
  ).rows[0];
  if (!found) {
    const loaded = (await c.query<{ loaded: boolean }>(STATEMENTS_PRELOAD_SQL)).rows[0]?.loaded;
    return none(
      "missing",
      `the pg_stat_statements extension is not created in this database${loaded ? "" : ", and the module is not in shared_preload_libraries"}`,
    );
  }
  const ext = { version: found.version, schema: found.fn_schema ?? found.schema };
  if (!found.loaded) return none("not-loaded", "pg_stat_statements is not in shared_preload_libraries", ext);
  if (!found.fn || !found.fn_schema)
    return none("unavailable", "the extension has no pg_stat_statements(boolean) function", ext);
  if (found.recovery)
    return none(
      "unavailable",
      "this server is a replica (read-only): statements are read on the primary",
      ext,
    );
  await c.query("BEGIN");
  try {
    await c.query(statementsViewSql(found.fn_schema));
    const v = (await c.query<{ fns: string[]; columns: string[] }>(STATEMENTS_VERIFY_SQL)).rows[0];
    if (v.fns.length !== 1 || v.fns[0] !== found.fn) {
      return none(
        "unsafe",
        `${found.fn_schema}.pg_stat_statements is not the extension's function (it was replaced meanwhile): not read`,
        ext,
      );
    }
    const cols = statementColumns(v.columns);
    if (!cols) return none("unavailable", "the view has no total time column", ext);
    const r = (await c.query<{ j: { totalMs: number; top: StatementsFacts["top"] } }>(statementsTopSql(cols)))
      .rows[0].j;
    return {
      state: "ok",
      detail: `pg_stat_statements ${found.version} in schema ${found.fn_schema}`,
      ...ext,
      totalColumn: cols.total,
      top: r.top.map((x) => ({ ...x, calls: Number(x.calls), rows: Number(x.rows) })),
      totalMs: Number(r.totalMs),
    };
  } finally {
    await c.query("ROLLBACK").catch(() => {});
  }
}
