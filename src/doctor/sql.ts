import { LIMITS } from "./thresholds.js";

/**
 * The SQL `ebdb doctor` runs on a PostgreSQL server, as data: each query returns one row with one
 * json column `j`, parsed by parsePgFacts. Every query reads only pg_catalog's views and functions,
 * unqualified on purpose: ebdb's sessions pin `search_path=pg_catalog,pg_temp`, so nothing the
 * application's master user owns (its `public` schema) can stand in for them. None takes a lock on
 * a table (sizes come from pg_class.relpages, not pg_relation_size, which waits behind an
 * ACCESS EXCLUSIVE lock), so a held lock cannot stall the doctor. Works on PostgreSQL 12 to 18.
 *
 * `ours` is the sessions excluded from the connection count and the activity checks: this one, and
 * ebdb's own role (rdsadmin; RDS's internal user has that name too, on slots RDS reserves for it),
 * whose short sessions (status, this doctor's other reads) are not the application's load.
 */

const OURS = "pid <> pg_backend_pid() AND usename IS DISTINCT FROM 'rdsadmin'";
/** For the count: also the login doctor makes as the master user meanwhile (ebdb's library sessions say 'ebdb'). */
const COUNTED = `${OURS} AND application_name IS DISTINCT FROM 'ebdb'`;
const USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'";
const BLOCK = "current_setting('block_size')::bigint";

function sessions(where: string, since: string, order = "seconds DESC"): string {
  return `COALESCE((SELECT json_agg(x) FROM (
    SELECT pid, usename AS "user", COALESCE(application_name, '') AS application, state,
           EXTRACT(EPOCH FROM clock_timestamp() - ${since})::float8 AS seconds, left(query, 200) AS query,
           CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END AS "waitEvent"
      FROM a WHERE ${where} ORDER BY ${order} LIMIT 20) x), '[]'::json)`;
}

/** The queries, by the PgFacts part each fills. */
export const HEALTH_QUERIES: { id: string; sql: string }[] = [
  {
    id: "server",
    sql: `SELECT json_build_object(
  'versionNum', current_setting('server_version_num')::int,
  'database', current_database(),
  'max', current_setting('max_connections')::int,
  'reservedForSuperuser', current_setting('superuser_reserved_connections')::int,
  'used', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND ${COUNTED}),
  'byApplication', COALESCE((SELECT json_agg(x ORDER BY x.count DESC) FROM (
      SELECT COALESCE(NULLIF(application_name, ''), '(none)') AS application, COALESCE(state, 'unknown') AS state,
             count(*)::int AS count
        FROM pg_stat_activity WHERE backend_type = 'client backend' AND ${COUNTED}
       GROUP BY 1, 2) x), '[]'::json),
  'statsReset', (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
  'schemas', (SELECT count(*) FROM pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')
) AS j`,
  },
  {
    id: "activity",
    sql: `WITH a AS (SELECT * FROM pg_stat_activity WHERE backend_type = 'client backend' AND ${OURS})
SELECT json_build_object(
  'idleInTransaction', ${sessions("state IN ('idle in transaction', 'idle in transaction (aborted)')", "state_change")},
  'longTransactions', ${sessions("xact_start IS NOT NULL", "xact_start")},
  'longQueries', ${sessions("state = 'active' AND query_start IS NOT NULL", "query_start")},
  'blocked', COALESCE((SELECT json_agg(x) FROM (
    SELECT w.pid, w.usename AS "user", COALESCE(w.application_name, '') AS application, w.state,
           EXTRACT(EPOCH FROM clock_timestamp() - COALESCE(w.query_start, w.state_change))::float8 AS seconds,
           left(w.query, 200) AS query, w.wait_event_type || ':' || w.wait_event AS "waitEvent",
           COALESCE((SELECT json_agg(json_build_object(
               'pid', b.pid, 'user', b.usename, 'application', COALESCE(b.application_name, ''), 'state', b.state,
               'seconds', EXTRACT(EPOCH FROM clock_timestamp() - COALESCE(b.xact_start, b.query_start, b.backend_start))::float8,
               'query', left(b.query, 200)))
             FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(w.pid))), '[]'::json) AS "blockedBy"
      FROM a w WHERE w.wait_event_type = 'Lock' ORDER BY seconds DESC LIMIT 20) x), '[]'::json)
) AS j`,
  },
  {
    // Besides the totals, the reads beyond the first pass over each table and its indexes: a block
    // written new (a load, an index build) or read for the first time after a restart is a read
    // whatever the cache's size, so only reads past twice the relation's size (pg_class.relpages,
    // no lock taken) say the working set does not fit. A relation never sized yet (relpages 0, not
    // vacuumed or analyzed since it was made) has all its reads counted as first ones.
    id: "cache",
    sql: `SELECT json_build_object(
  'heapHit', COALESCE(sum(s.heap_blks_hit), 0), 'heapRead', COALESCE(sum(s.heap_blks_read), 0),
  'indexHit', COALESCE(sum(s.idx_blks_hit), 0), 'indexRead', COALESCE(sum(s.idx_blks_read), 0),
  'heapRereads', COALESCE(sum(CASE WHEN c.relpages > 0
      THEN GREATEST(s.heap_blks_read - ${LIMITS.cacheColdPasses} * c.relpages::bigint, 0) ELSE 0 END), 0),
  'indexRereads', COALESCE(sum(CASE WHEN x.pages > 0
      THEN GREATEST(COALESCE(s.idx_blks_read, 0) - ${LIMITS.cacheColdPasses} * x.pages, 0) ELSE 0 END), 0)
) AS j
  FROM pg_statio_user_tables s JOIN pg_class c ON c.oid = s.relid
  LEFT JOIN LATERAL (SELECT sum(ic.relpages)::bigint AS pages FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                      WHERE i.indrelid = s.relid) x ON true`,
  },
  {
    id: "unusedIndexes",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT format('%I.%I', s.schemaname, s.indexrelname) AS index, format('%I.%I', s.schemaname, s.relname) AS "table",
         c.relpages::bigint * ${BLOCK} AS "sizeBytes", s.idx_scan AS scans
    FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid JOIN pg_class c ON c.oid = s.indexrelid
   WHERE NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid
     AND s.idx_scan < ${LIMITS.unusedIndexMaxScans} AND c.relpages::bigint * ${BLOCK} >= ${LIMITS.unusedIndexMinBytes}
     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = s.indexrelid)
   ORDER BY 3 DESC LIMIT 20) x`,
  },
  {
    id: "duplicateIndexes",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT format('%I.%I', n.nspname, t.relname) AS "table",
         array_agg(format('%I.%I', n.nspname, ic.relname) ORDER BY ic.relname) AS indexes,
         sum(ic.relpages::bigint * ${BLOCK}) AS "sizeBytes"
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE ${USER_SCHEMA}
   GROUP BY n.nspname, t.relname, i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text,
            COALESCE(pg_get_expr(i.indexprs, i.indrelid), ''), COALESCE(pg_get_expr(i.indpred, i.indrelid), '')
  HAVING count(*) > 1 ORDER BY 3 DESC LIMIT 20) x`,
  },
  {
    id: "foreignKeysWithoutIndex",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT format('%I.%I', n.nspname, t.relname) AS "table", k.conname AS "constraint",
         (SELECT array_agg(a.attname::text ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
         k.confrelid::regclass::text AS "references"
    FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE k.contype = 'f' AND k.conparentid = 0 AND ${USER_SCHEMA}
     AND NOT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = k.conrelid AND i.indpred IS NULL AND i.indisvalid
          AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] @> k.conkey
          AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] <@ k.conkey)
   ORDER BY 1, 2 LIMIT 20) x`,
  },
  {
    // An estimate from the statistics (as Heroku's and pg-extras' bloat queries): the pages the live
    // rows need at their average width (23-byte tuple header, 4-byte line pointer, 24-byte page
    // header, the table's fillfactor) against the pages the table has.
    id: "bloat",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT "table", size AS "sizeBytes", GREATEST(size - expected, 0) AS "wasteBytes",
         round((size::numeric / GREATEST(expected, 1)), 1)::float8 AS factor
    FROM (
      SELECT format('%I.%I', n.nspname, c.relname) AS "table", c.relpages::bigint * ${BLOCK} AS size,
             (ceil(c.reltuples * (28 + w.width) /
                   ((${BLOCK} - 24) * COALESCE((SELECT substring(o FROM 'fillfactor=(\\d+)')::int FROM unnest(c.reloptions) o
                                                  WHERE o LIKE 'fillfactor=%'), 100) / 100.0)) * ${BLOCK})::bigint AS expected
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN LATERAL (SELECT sum(s.avg_width) AS width FROM pg_stats s
                       WHERE s.schemaname = n.nspname AND s.tablename = c.relname) w ON w.width IS NOT NULL
       WHERE c.relkind IN ('r', 'm') AND c.relpages >= 128 AND c.reltuples >= 0 AND ${USER_SCHEMA}) e
   ORDER BY 3 DESC LIMIT 10) x`,
  },
  {
    id: "nullIndexes",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT format('%I.%I', n.nspname, ic.relname) AS index, format('%I.%I', n.nspname, t.relname) AS "table",
         a.attname::text AS "column", s.null_frac::float8 AS "nullFraction", ic.relpages::bigint * ${BLOCK} AS "sizeBytes"
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
   WHERE i.indnatts = 1 AND i.indkey[0] > 0 AND NOT i.indisunique AND i.indpred IS NULL AND ${USER_SCHEMA}
     AND s.null_frac >= ${LIMITS.nullIndexMinFraction} AND ic.relpages::bigint * ${BLOCK} >= ${LIMITS.nullIndexMinBytes}
   ORDER BY 5 DESC LIMIT 20) x`,
  },
  {
    id: "hotUpdates",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT format('%I.%I', schemaname, relname) AS "table", n_tup_upd AS updates, n_tup_hot_upd AS "hotUpdates"
    FROM pg_stat_user_tables
   WHERE n_tup_upd >= ${LIMITS.hotMinUpdates} AND n_tup_hot_upd < n_tup_upd * ${LIMITS.hotMinRatio}
   ORDER BY n_tup_upd - n_tup_hot_upd DESC LIMIT 10) x`,
  },
  {
    // A sequence owned by a column (serial, identity) runs out at the smaller of its own maximum
    // and the column type's: a bigint sequence feeding an integer column stops at 2^31 - 1.
    id: "sequences",
    sql: `SELECT COALESCE(json_agg(x ORDER BY x.used DESC), '[]'::json) AS j FROM (
  SELECT q.*, CASE WHEN q.increment > 0
                   THEN (q."lastValue" - q."minValue") / NULLIF(q."maxValue" - q."minValue", 0)
                   ELSE (q."maxValue" - q."lastValue") / NULLIF(q."maxValue" - q."minValue", 0) END::float8 AS used
    FROM (
      SELECT format('%I.%I', s.schemaname, s.sequencename) AS sequence, s.data_type::text AS "dataType",
             col.name AS "column", s.last_value::numeric AS "lastValue", s.min_value::numeric AS "minValue",
             LEAST(s.max_value::numeric, CASE col.type WHEN 'integer' THEN 2147483647 WHEN 'smallint' THEN 32767
                                                       ELSE s.max_value::numeric END) AS "maxValue",
             s.increment_by AS increment
        FROM pg_sequences s
        JOIN pg_namespace sn ON sn.nspname = s.schemaname
        JOIN pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = sn.oid
        LEFT JOIN LATERAL (
          SELECT format('%s.%I', d.refobjid::regclass::text, a.attname) AS name, format_type(a.atttypid, NULL) AS type
            FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
           WHERE d.classid = 'pg_class'::regclass AND d.objid = sc.oid AND d.refclassid = 'pg_class'::regclass
             AND d.deptype IN ('a', 'i') LIMIT 1) col ON true
       WHERE s.last_value IS NOT NULL) q
   ORDER BY used DESC NULLS LAST LIMIT 10) x`,
  },
  {
    id: "wraparound",
    sql: `SELECT json_build_object(
  'databases', COALESCE((SELECT json_agg(x) FROM (
      SELECT datname AS name, age(datfrozenxid) AS age FROM pg_database WHERE datallowconn ORDER BY 2 DESC LIMIT 5) x), '[]'::json),
  'tables', COALESCE((SELECT json_agg(x) FROM (
      SELECT c.oid::regclass::text AS "table", age(c.relfrozenxid) AS age
        FROM pg_class c WHERE c.relkind IN ('r', 'm', 't') ORDER BY 2 DESC LIMIT 5) x), '[]'::json)
) AS j`,
  },
  {
    id: "unlogged",
    sql: `SELECT COALESCE(json_agg(x), '[]'::json) AS j FROM (
  SELECT format('%I.%I', n.nspname, c.relname) AS "table", c.relpages::bigint * ${BLOCK} AS "sizeBytes"
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p') AND ${USER_SCHEMA}
   ORDER BY 2 DESC, 1 LIMIT 20) x`,
  },
];
