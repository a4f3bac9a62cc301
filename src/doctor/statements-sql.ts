/**
 * Reading pg_stat_statements without running anyone else's code as the superuser.
 *
 * The extension's view and function live in a schema the application's master user owns (`public`,
 * where ebdb creates it). The master may rename that schema and create its own `public` with its own
 * `pg_stat_statements` view or function; a superuser that then reads `public.pg_stat_statements`
 * runs the master's code with superuser rights. So ebdb never reads it by name:
 *
 * 1. it finds the function that belongs to the extension through the catalogs (pg_extension →
 *    pg_depend with deptype 'e' → pg_proc: the oid of the extension's own member, whatever its schema
 *    is called now);
 * 2. inside a transaction it creates a temporary view over that function by name: a view stores its
 *    query with the function's oid, bound at creation, and creating it runs nothing;
 * 3. it checks in pg_depend that the view references exactly that oid and no other function; if the
 *    name resolved to anything else (a schema renamed in between), it reads nothing;
 * 4. only then it selects from the view, and rolls the transaction back (the view never outlives it).
 *
 * The temporary schema is the session's own: no other role can put objects there. A server in
 * recovery (a replica) cannot create the view, so statements are read on the primary only.
 * (PostgreSQL docs: "pg_stat_statements", "CREATE VIEW", "pg_depend"; the column names follow the
 * extension's version: total_exec_time and mean_exec_time since 1.8, PostgreSQL 13.)
 */

/** The extension, its schema, and the oid of its `pg_stat_statements(boolean)` member function. */
export const STATEMENTS_LOOKUP_SQL = `SELECT e.extversion AS version, n.nspname AS schema, p.oid::int8::text AS fn,
       fn_ns.nspname AS fn_schema,
       current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_stat_statements($|[ ,])' AS loaded,
       pg_is_in_recovery() AS recovery
  FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace
  LEFT JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e'
                       AND d.classid = 'pg_proc'::regclass
  LEFT JOIN pg_proc p ON p.oid = d.objid AND p.proname = 'pg_stat_statements' AND p.pronargs = 1
  LEFT JOIN pg_namespace fn_ns ON fn_ns.oid = p.pronamespace
 WHERE e.extname = 'pg_stat_statements'
 ORDER BY p.oid NULLS LAST LIMIT 1`;

/** Whether shared_preload_libraries has the module (for the "extension missing" message). */
export const STATEMENTS_PRELOAD_SQL = `SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_stat_statements($|[ ,])' AS loaded`;

export const STATEMENTS_VIEW = "ebdb_doctor_statements";

/** A SQL identifier, quoted. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Step 2: the temporary view over the function named by its (current) schema. */
export function statementsViewSql(schema: string): string {
  return `CREATE TEMPORARY VIEW ${STATEMENTS_VIEW} AS SELECT * FROM ${ident(schema)}.pg_stat_statements(true)`;
}

/**
 * Step 3: the function oids the view's rule references (must be exactly the extension's), and the
 * view's column names (the version's).
 */
export const STATEMENTS_VERIFY_SQL = `SELECT
  ARRAY(SELECT DISTINCT d.refobjid::int8::text FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class = 'pg_temp.${STATEMENTS_VIEW}'::regclass
           AND d.refclassid = 'pg_proc'::regclass) AS fns,
  ARRAY(SELECT a.attname::text FROM pg_attribute a
         WHERE a.attrelid = 'pg_temp.${STATEMENTS_VIEW}'::regclass AND a.attnum > 0) AS columns`;

/** The time columns of the extension's version: PostgreSQL 13's 1.8 renamed *_time to *_exec_time. */
export function statementColumns(
  columns: readonly string[],
): { total: string; mean: string; max: string } | null {
  if (columns.includes("total_exec_time"))
    return { total: "total_exec_time", mean: "mean_exec_time", max: "max_exec_time" };
  if (columns.includes("total_time")) return { total: "total_time", mean: "mean_time", max: "max_time" };
  return null;
}

/** Step 4: the top statements by total time from the verified view, and the total over all. */
export function statementsTopSql(cols: { total: string; mean: string; max: string }, limit = 5): string {
  const v = `pg_temp.${STATEMENTS_VIEW}`;
  return `SELECT json_build_object(
  'totalMs', (SELECT COALESCE(sum(${cols.total}), 0)::float8 FROM ${v}),
  'top', COALESCE((SELECT json_agg(x) FROM (
    SELECT left(regexp_replace(s.query, '\\s+', ' ', 'g'), 200) AS query, d.datname AS database, s.calls,
           s.${cols.total}::float8 AS "totalMs", s.${cols.mean}::float8 AS "meanMs", s.${cols.max}::float8 AS "maxMs", s.rows
      FROM ${v} s LEFT JOIN pg_database d ON d.oid = s.dbid
     ORDER BY s.${cols.total} DESC LIMIT ${limit}) x), '[]'::json)
) AS j`;
}
