import { clean, duration, listOf, pct } from "../format.js";
import type { PgSession } from "../observation.js";
import { connectionsFromMetric } from "./connections-metric.js";
import { LIMITS } from "../thresholds.js";
import { type Check, graded, green, psqlHint, red, withPg, yellow } from "./common.js";

/** "pid 123 (app, 42 s): SELECT ..." */
function who(s: PgSession): string {
  const app = s.application ? `${clean(s.application, 40)}, ` : "";
  return `pid ${s.pid} (${app}${s.user ?? "?"}, ${duration(s.seconds)}${s.state ? `, ${s.state}` : ""}): ${clean(s.query, 80)}`;
}

const brief = (s: PgSession) => ({
  pid: s.pid,
  user: s.user,
  application: clean(s.application, 60),
  state: s.state,
  seconds: Math.round(s.seconds * 10) / 10,
  query: clean(s.query, 200),
});

export const ACTIVITY_CHECKS: Check[] = [
  {
    id: "connections",
    title: "Connections",
    run: (o, t) =>
      !o.pg && o.connectionMetric
        ? connectionsFromMetric(o.connectionMetric, t)
        : withPg(o, (pg) => {
            const c = pg.connections;
            const share = c.max > 0 ? c.used / c.max : 0;
            const level =
              share >= t.connectionsRed ? "red" : share >= t.connectionsYellow ? "yellow" : "green";
            const top = c.byApplication
              .slice(0, 4)
              .map((a) => `${a.count} ${clean(a.application, 30)} ${a.state}`)
              .join(", ");
            const observed = {
              used: c.used,
              max: c.max,
              reservedForSuperuser: c.reservedForSuperuser,
              share: Math.round(share * 1000) / 1000,
              byApplication: c.byApplication.map((a) => ({ ...a, application: clean(a.application, 60) })),
            };
            return graded(
              level,
              `${c.used} of ${c.max} connections in use (${pct(share)})${top ? `: ${top}` : ""}`,
              observed,
              `Close idle connections or pool them: DB_RDS_PROXY_ENABLED=true in config.env, then \`ebdb up\` (RDS Proxy on AWS, PgBouncer locally), and the application connects to DATABASE_POOL_URL; a bigger instance class has a larger max_connections. New connections fail at ${c.max - c.reservedForSuperuser}.`,
            );
          }),
  },
  {
    id: "idle-in-transaction",
    title: "Idle in transaction",
    run: (o, t) =>
      withPg(o, (pg) => {
        const old = pg.idleInTransaction.filter((s) => s.seconds >= t.idleInTransactionSeconds);
        if (old.length === 0)
          return green(
            `no session idle in a transaction for more than ${duration(t.idleInTransactionSeconds)}`,
            {
              sessions: [],
            },
          );
        return yellow(
          `${old.length} session(s) idle in a transaction for more than ${duration(t.idleInTransactionSeconds)}: ${listOf(old.map(who), 2)}`,
          { sessions: old.map(brief) },
          `They hold locks and keep VACUUM from cleaning up. Commit or roll back in the application; end one with SELECT pg_terminate_backend(${old[0].pid}) in ${psqlHint(o)}; set idle_in_transaction_session_timeout to end them automatically.`,
        );
      }),
  },
  {
    id: "long-transactions",
    title: "Long transactions",
    run: (o, t) =>
      withPg(o, (pg) => {
        const old = pg.longTransactions.filter((s) => s.seconds >= t.longTransactionYellowSeconds);
        if (old.length === 0)
          return green(`no transaction open for more than ${duration(t.longTransactionYellowSeconds)}`, {
            transactions: [],
          });
        const level = old[0].seconds >= t.longTransactionRedSeconds ? "red" : "yellow";
        return graded(
          level,
          `${old.length} transaction(s) open for more than ${duration(t.longTransactionYellowSeconds)}, the oldest ${who(old[0])}`,
          { transactions: old.map(brief) },
          `An open transaction keeps VACUUM from removing dead rows everywhere (bloat grows while it lasts). Find who opened it and commit it, or end it: SELECT pg_terminate_backend(${old[0].pid}) in ${psqlHint(o)}.`,
        );
      }),
  },
  {
    id: "long-queries",
    title: "Long-running queries",
    run: (o, t) =>
      withPg(o, (pg) => {
        const slow = pg.longQueries.filter((s) => s.seconds >= t.longQuerySeconds);
        if (slow.length === 0)
          return green(`no query running longer than ${duration(t.longQuerySeconds)}`, {
            queries: [],
            thresholdSeconds: t.longQuerySeconds,
          });
        const level = slow[0].seconds >= Math.max(300, t.longQuerySeconds * 10) ? "red" : "yellow";
        return graded(
          level,
          `${slow.length} query(ies) running longer than ${duration(t.longQuerySeconds)}: ${listOf(slow.map(who), 2)}`,
          { queries: slow.map(brief), thresholdSeconds: t.longQuerySeconds },
          `Cancel one with SELECT pg_cancel_backend(${slow[0].pid}) in ${psqlHint(o)}; look at its plan (EXPLAIN) for a missing index; set statement_timeout so runaway queries end by themselves.`,
        );
      }),
  },
  {
    id: "blocked-queries",
    title: "Blocked queries",
    run: (o) =>
      withPg(o, (pg) => {
        const waiting = pg.blocked.filter((b) => b.seconds >= 1 && b.blockedBy.length > 0);
        if (waiting.length === 0) return green("no query waiting for a lock", { blocked: [] });
        const first = waiting[0];
        const blockers = first.blockedBy.map(who);
        const level = first.seconds >= 60 ? "red" : "yellow";
        return graded(
          level,
          `${waiting.length} query(ies) waiting for a lock; ${who(first)} is blocked by ${listOf(blockers, 2)}`,
          { blocked: waiting.map((b) => ({ ...brief(b), blockedBy: b.blockedBy.map(brief) })) },
          `End the blocker when it should not hold the lock: SELECT pg_terminate_backend(${first.blockedBy[0].pid}) in ${psqlHint(o)} (or commit it where it runs); keep transactions that take locks short, and set lock_timeout so waiters give up.`,
        );
      }),
  },
  {
    id: "top-queries",
    title: "Top queries (pg_stat_statements)",
    run: (o, t) =>
      withPg(o, (pg) => {
        const s = pg.statements;
        const observed = {
          state: s.state,
          version: s.version,
          schema: s.schema,
          totalColumn: s.totalColumn,
          top: s.top.map((r) => ({ ...r, query: clean(r.query, 200) })),
          totalMs: Math.round(s.totalMs),
        };
        if (s.state === "missing")
          return yellow(
            `${s.detail}: no per-query statistics`,
            observed,
            "Run `ebdb up`, which creates it, or CREATE EXTENSION pg_stat_statements as a superuser (it needs shared_preload_libraries = 'pg_stat_statements').",
          );
        if (s.state === "not-loaded")
          return yellow(s.detail, observed, "Run `ebdb up`: it sets shared_preload_libraries (a restart).");
        if (s.state === "unsafe")
          return red(
            s.detail,
            observed,
            "Someone replaced the extension's function while ebdb read it: look at who changes the schema.",
          );
        if (s.state !== "ok") return { status: "skipped", summary: s.detail, observed, fix: null };
        if (s.top.length === 0) return green("pg_stat_statements has no statements yet", observed);
        const total = s.totalMs || 1;
        const lines = s.top
          .slice(0, 3)
          .map(
            (r) =>
              `${Math.round((r.totalMs / total) * 100)}% ${clean(r.query, 60)} (${r.calls} calls, mean ${r.meanMs.toFixed(1)} ms)`,
          );
        // A statement the application runs again and again; a one-off (a migration, a pg_sleep) would
        // otherwise keep the check yellow for as long as the statistics last.
        const slow = s.top.filter(
          (r) => r.meanMs >= t.longQuerySeconds * 1000 && r.calls >= LIMITS.slowStatementMinCalls,
        );
        if (slow.length > 0)
          return yellow(
            `${slow.length} of the top statements take ${duration(t.longQuerySeconds)} or more on average: ${clean(slow[0].query, 80)} (mean ${(slow[0].meanMs / 1000).toFixed(1)} s)`,
            observed,
            "Look at its plan with EXPLAIN (ANALYZE, BUFFERS); add the index it lacks or rewrite it; scale up the instance class if the plan is right. Once fixed, SELECT pg_stat_statements_reset(); starts the figures afresh.",
          );
        return green(`by total time: ${lines.join("; ")}`, observed);
      }),
  },
];
