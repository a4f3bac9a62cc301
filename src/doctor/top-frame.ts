import type { HealthObservation } from "./observation.js";

/**
 * One screen of `ebdb top`, from one HealthObservation (pure): the figures that matter while
 * watching a database (CPU, connections, replication lag, free storage, top queries). Top queries
 * carry their calls and time since the previous frame, so the view shows what runs now, not only
 * what ran since the statistics began.
 */
export interface TopFrame {
  at: string;
  target: "local" | "aws";
  identifier: string;
  instance: { name: string; role: string; state: string };
  /** Percent of the instance's vCPUs; null when not measured (source says what would be). */
  cpu: { percent: number | null; source: string };
  /**
   * From the server's views (pg_stat_activity), or on AWS from CloudWatch's DatabaseConnections
   * (`source` says so, and the breakdown is null); null when neither could be read.
   */
  connections: {
    used: number;
    max: number | null;
    source: string | null;
    breakdown: {
      active: number;
      idle: number;
      idleInTransaction: number;
      /** Sessions waiting for a lock. */
      waiting: number;
      /** Queries running longer than 5 s now. */
      longQueries: number;
    } | null;
  } | null;
  replicas: { name: string; state: string; lagSeconds: number | null; lagBytes: number | null }[];
  storage: { freeBytes: number; capacityBytes: number | null; path: string | null } | null;
  queries: {
    query: string;
    calls: number;
    totalMs: number;
    meanMs: number;
    /** Share of all statements' total time (0-1). */
    share: number;
    /** Since the previous frame; null on the first. */
    callsPerSecond: number | null;
    msPerSecond: number | null;
  }[];
  /** Why the statements are missing (the extension, a replica), or why the server was not read. */
  note: string | null;
}

const LONG_QUERY_SECONDS = 5;

/** The frame of an observation; `prev` (the frame before) gives the rates since then. */
export function topFrame(o: HealthObservation, prev?: TopFrame | null): TopFrame {
  const pg = o.pg;
  const byState = (states: string[]) =>
    pg?.connections.byApplication.filter((a) => states.includes(a.state)).reduce((n, a) => n + a.count, 0) ??
    0;
  const seconds = prev ? (Date.parse(o.at) - Date.parse(prev.at)) / 1000 : 0;
  const earlier = new Map(prev?.queries.map((q) => [q.query, q]) ?? []);
  const total = pg?.statements.totalMs || 0;
  const storage = o.storage;
  const metric = o.connectionMetric;
  const capacity =
    storage?.allocatedBytes ??
    storage?.fileSystemBytes ??
    (storage?.usedBytes != null && storage.freeBytes != null ? storage.usedBytes + storage.freeBytes : null);
  return {
    at: o.at,
    target: o.target,
    identifier: o.identifier,
    instance: { name: o.instance.name, role: o.instance.role, state: o.instance.state },
    cpu: { percent: o.cpu?.utilization ?? null, source: o.cpu?.source ?? "not measured" },
    connections: pg
      ? {
          used: pg.connections.used,
          max: pg.connections.max,
          source: null,
          breakdown: {
            active: byState(["active"]),
            idle: byState(["idle"]),
            idleInTransaction: byState(["idle in transaction", "idle in transaction (aborted)"]),
            waiting: pg.blocked.length,
            longQueries: pg.longQueries.filter((q) => q.seconds >= LONG_QUERY_SECONDS).length,
          },
        }
      : metric && metric.used !== null
        ? { used: metric.used, max: metric.max, source: "CloudWatch DatabaseConnections", breakdown: null }
        : null,
    replicas: (o.replication?.replicas ?? []).map((r) => ({
      name: r.name,
      state: r.state,
      lagSeconds: r.primaryIdle ? 0 : r.lagSeconds,
      lagBytes: r.lagBytes,
    })),
    storage:
      storage && storage.freeBytes !== null
        ? { freeBytes: storage.freeBytes, capacityBytes: capacity, path: storage.path ?? null }
        : null,
    queries: (pg?.statements.top ?? []).map((q) => {
      const before = earlier.get(q.query);
      const rate = (now: number, then: number | undefined) =>
        before && seconds > 0 && then !== undefined && now >= then ? (now - then) / seconds : null;
      return {
        query: q.query,
        calls: q.calls,
        totalMs: q.totalMs,
        meanMs: q.meanMs,
        share: total > 0 ? q.totalMs / total : 0,
        callsPerSecond: rate(q.calls, before?.calls),
        msPerSecond: rate(q.totalMs, before?.totalMs),
      };
    }),
    note: !pg ? o.pgSkipped : pg.statements.state === "ok" ? null : pg.statements.detail,
  };
}
