import { readdirSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import type { NodeStatus, ReplicationSlotStatus } from "../target.js";
import { parseConf } from "./conf.js";
import { readFileSafe } from "./fs-safe.js";
import { pgdataOf } from "./layout.js";
import type { NodeMeta } from "./meta.js";
import { procAvailable, procStat } from "./proc-scan.js";
import type { Session } from "./session.js";
import { readSlots } from "./slots.js";
import type { NodeView } from "./status.js";

type Connections = NonNullable<NodeStatus["connections"]>;

/** What ebdb learns by connecting to a running node (its own superuser, on a reserved slot). */
export interface Probe {
  connections: Connections | null;
  /** Why the server turns (the application's) new connections away; null when it accepts them. */
  refusing: string | null;
  /** Why ebdb could not query it; null when it could. */
  error: string | null;
}

/** What only the primary tells: replicas' lag, the archiver, the slots, the server's clock. */
export interface PrimaryFacts {
  lag: Map<string, { bytes: number | null; seconds: number | null }>;
  archiver: {
    lastArchived: string | null;
    lastArchivedAt: Date | null;
    failedCount: number;
    lastFailedAt: Date | null;
    failing: boolean;
    /** Segments waiting to be archived (.ready files). */
    waiting: number;
  };
  slots: ReplicationSlotStatus[];
  now: Date;
}

/**
 * A short reason for a connection PostgreSQL refused or dropped, from its SQLSTATE or message
 * ("too many clients", "starting up", ...); null when it is no such refusal.
 */
export function refusalOf(e: unknown): string | null {
  const err = e as { code?: string; message?: string; cause?: unknown };
  const text = `${err?.message ?? ""} ${(err?.cause as Error | undefined)?.message ?? ""}`;
  const code = err?.code ?? (err?.cause as { code?: string } | undefined)?.code;
  if (code === "53300" || /too many clients|remaining connection slots are reserved/.test(text))
    return "too many clients";
  if (/starting up/.test(text)) return "starting up";
  if (/shutting down/.test(text)) return "shutting down";
  if (/in recovery mode|not yet accepting connections/.test(text)) return "recovering";
  return null;
}

/** The settings a server was given in postgresql.conf, overridden by postgresql.auto.conf (ALTER SYSTEM). */
async function effectiveSettings(pgdata: string): Promise<Map<string, string>> {
  const [conf, auto] = await Promise.all(
    ["postgresql.conf", "postgresql.auto.conf"].map((f) => readFileSafe(join(pgdata, f)).catch(() => null)),
  );
  const out = parseConf(conf ?? "");
  for (const [k, v] of parseConf(auto ?? "")) out.set(k, v);
  return out;
}

// A client backend's process title: "postgres: <cluster_name>: <user> <database> <host>(<port>) <activity>"
// (walsenders say "walsender <user> <host>(<port>)"; auxiliary processes name no client).
const CLIENT_TITLE = /^postgres: (?:[^:]+: )?(?!walsender )\S+ \S+ [0-9a-fA-F.:[\]]+\(\d+\)/;

/** The process titles of a postmaster's children, from /proc (Linux); null elsewhere. */
function childTitles(postmasterPid: number): string[] | null {
  if (!procAvailable()) return null;
  const titles: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || procStat(Number(p))?.ppid !== postmasterPid) continue;
    try {
      titles.push(readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0+$/, ""));
    } catch {
      // gone meanwhile
    }
  }
  return titles;
}

/** Client backends of a postmaster, counted in /proc (Linux); null elsewhere. */
export function countClientBackends(postmasterPid: number): number | null {
  return childTitles(postmasterPid)?.filter((t) => CLIENT_TITLE.test(t)).length ?? null;
}

/**
 * Whether a postmaster has its archiver process ("postgres: <cluster>: archiver ..."); null when
 * /proc cannot tell. After a crash PostgreSQL starts it again only on its next loop, up to a minute.
 */
export function archiverRuns(postmasterPid: number): boolean | null {
  return childTitles(postmasterPid)?.some((t) => /^postgres: (?:[^:]+: )?archiver\b/.test(t)) ?? null;
}

/** The connection counts of a server that ebdb cannot query: processes from /proc, limits from its files. */
async function countedFromOutside(s: Session, v: NodeView): Promise<Connections | null> {
  if (!v.proc.pid) return null;
  const used = countClientBackends(v.proc.pid);
  if (used === null) return null;
  const conf = await effectiveSettings(pgdataOf(s.layout, v.meta.name));
  const max = Number(conf.get("max_connections") ?? 100) || 100;
  return {
    // A backend being turned away ("too many clients") shows for a moment beside the ones served.
    used: Math.min(used, max),
    max,
    reservedForSuperuser: Number(conf.get("superuser_reserved_connections") ?? 3) || 0,
  };
}

async function connections(c: pg.Client): Promise<Connections & { reservedOther: number }> {
  // Not counting this probe itself; PostgreSQL 16's reserved_connections (pg_use_reserved_connections) is missing_ok.
  const r = (
    await c.query<{ used: number; max: number; su: number; other: number | null }>(
      `SELECT count(*) FILTER (WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())::int AS used,
              current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS su,
              current_setting('reserved_connections', true)::int AS other
         FROM pg_stat_activity`,
    )
  ).rows[0];
  return { used: r.used, max: r.max, reservedForSuperuser: r.su, reservedOther: r.other ?? 0 };
}

async function primaryFacts(c: pg.Client, replicas: NodeMeta[]): Promise<PrimaryFacts> {
  const rep = await c.query<{ name: string; bytes: string | null; seconds: number | null }>(
    `SELECT application_name AS name, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text AS bytes,
            EXTRACT(EPOCH FROM replay_lag)::float8 AS seconds FROM pg_stat_replication`,
  );
  const lag = new Map<string, { bytes: number | null; seconds: number | null }>();
  for (const r of rep.rows) {
    const bytes = r.bytes === null ? null : Number(r.bytes);
    // replay_lag goes NULL once a standby has caught up and nothing new is written.
    lag.set(r.name, { bytes, seconds: r.seconds ?? (bytes === 0 ? 0 : null) });
  }
  const a = (
    await c.query<{
      wal: string | null;
      at: Date | null;
      failed: string;
      failed_at: Date | null;
      waiting: number;
      now: Date;
    }>(
      `SELECT last_archived_wal AS wal, last_archived_time AS at, failed_count::text AS failed,
              last_failed_time AS failed_at, clock_timestamp() AS now,
              (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')::int AS waiting
         FROM pg_stat_archiver`,
    )
  ).rows[0];
  return {
    lag,
    archiver: {
      lastArchived: a.wal,
      lastArchivedAt: a.at,
      failedCount: Number(a.failed),
      lastFailedAt: a.failed_at,
      failing: a.failed_at !== null && (a.at === null || a.failed_at > a.at),
      waiting: a.waiting,
    },
    slots: await readSlots(c, replicas),
    now: a.now,
  };
}

/**
 * Connects to a running node as ebdb's superuser (on one of its reserved slots) and reads its
 * connection counts, and on the primary (`replicas` given) what only it tells. When even ebdb is
 * turned away, says why, with the counts read from outside (/proc and the configuration files).
 */
export async function probeNode(
  s: Session,
  v: NodeView,
  replicas?: NodeMeta[],
): Promise<{ probe: Probe; facts: PrimaryFacts | null }> {
  let c: pg.Client;
  try {
    c = await s.admin(v.meta.port, "postgres", { timeoutMs: 3000 });
  } catch (e) {
    const refusing = refusalOf(e);
    const cause = (e as { cause?: Error }).cause?.message ?? (e as Error).message;
    return {
      probe: {
        connections: refusing === "too many clients" ? await countedFromOutside(s, v) : null,
        refusing,
        error: cause,
      },
      facts: null,
    };
  }
  try {
    const conn = await connections(c);
    // Non-superusers get a slot while more than the reserved ones are free (PostgreSQL docs, superuser_reserved_connections).
    const appLimit = conn.max - conn.reservedForSuperuser - conn.reservedOther;
    const probe: Probe = {
      connections: { used: conn.used, max: conn.max, reservedForSuperuser: conn.reservedForSuperuser },
      refusing: conn.used >= appLimit ? "too many clients" : null,
      error: null,
    };
    let facts: PrimaryFacts | null = null;
    if (replicas) {
      try {
        facts = await primaryFacts(c, replicas);
      } catch (e) {
        probe.error = (e as Error).message;
      }
    }
    return { probe, facts };
  } catch (e) {
    return { probe: { connections: null, refusing: refusalOf(e), error: (e as Error).message }, facts: null };
  } finally {
    await c.end().catch(() => {});
  }
}

/** WAL segments waiting to be archived, counted in the data directory (when the primary cannot be asked). */
export async function waitingSegments(pgdata: string): Promise<number | null> {
  try {
    return (await fs.readdir(join(pgdata, "pg_wal", "archive_status"))).filter((f) => f.endsWith(".ready"))
      .length;
  } catch {
    return null;
  }
}
