import type pg from "pg";
import type { ReplicaHealth, WalClock } from "../../autoscale/reader.js";
import { pgdataOf } from "./layout.js";
import type { NodeMeta } from "./meta.js";
import { inspect } from "./process.js";
import { ADMIN_USER } from "./roles.js";
import type { Session } from "./session.js";
import { refusalOf } from "./status-probe.js";

/** How long a health check waits for a server's answer. */
const CHECK_TIMEOUT_MS = 2000;

/** A query's answer, or an error when none came in time (a stopped or stuck server); the connection is then closed. */
async function deadline<T>(c: pg.Client, q: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void c.end().catch(() => {});
      reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`));
    }, CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([q, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One replica at one check: the reader endpoint's inputs, its postmaster and its connections. */
export interface ReplicaCheck {
  meta: NodeMeta;
  health: ReplicaHealth;
  /** The running postmaster's pid, for its CPU; null when it is not running. */
  pid: number | null;
  /** Client connections (not ebdb's); null when unknown. */
  connections: number | null;
}

/**
 * Records the primary's WAL position on `clock` (nothing when it is not running or does not answer).
 * Taken before the replicas' positions, so a replica that has replayed it is caught up.
 */
export async function samplePrimary(s: Session, primary: NodeMeta, clock: WalClock): Promise<boolean> {
  if ((await inspect(pgdataOf(s.layout, primary.name))).state !== "running") return false;
  let c: pg.Client | null = null;
  try {
    c = await s.admin(primary.port, "postgres", { timeoutMs: CHECK_TIMEOUT_MS });
    const r = await deadline(
      c,
      c.query<{ lsn: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn"),
    );
    clock.record(Date.now(), Number(r.rows[0].lsn));
    return true;
  } catch {
    return false;
  } finally {
    await c?.end().catch(() => {});
  }
}

/**
 * Checks one replica: is it running, does it accept ebdb's connection and a query, how far behind is
 * it (from `clock`), how many clients does it serve. `warmed` comes from the runner's record.
 */
export async function checkReplica(
  s: Session,
  meta: NodeMeta,
  clock: WalClock,
  warmed: boolean,
): Promise<ReplicaCheck> {
  const down = (problem: string, pid: number | null = null): ReplicaCheck => ({
    meta,
    pid,
    connections: null,
    health: { name: meta.name, accepting: false, problem, lagSeconds: null, warmed },
  });
  if (meta.state === "creating") return down("being created");
  const proc = await inspect(pgdataOf(s.layout, meta.name));
  if (proc.state !== "running") return down(proc.state === "starting" ? "starting" : `${proc.state}`);
  let c: pg.Client | null = null;
  try {
    c = await s.admin(meta.port, "postgres", { timeoutMs: CHECK_TIMEOUT_MS });
    const r = await deadline(
      c,
      c.query<{ recovery: boolean; replay: string | null; conns: number }>(
        `SELECT pg_is_in_recovery() AS recovery,
              pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::text AS replay,
              (SELECT count(*) FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                  AND usename IS DISTINCT FROM $1)::int AS conns`,
        [ADMIN_USER],
      ),
    );
    const row = r.rows[0];
    if (!row.recovery)
      return { ...down("not a standby any more (promoted)", proc.pid), connections: row.conns };
    const lag = row.replay === null ? null : clock.lagSeconds(Number(row.replay), Date.now());
    return {
      meta,
      pid: proc.pid,
      connections: row.conns,
      health: { name: meta.name, accepting: true, problem: null, lagSeconds: lag, warmed },
    };
  } catch (e) {
    const refusing = refusalOf(e);
    return down(refusing ? `refusing connections: ${refusing}` : "not answering", proc.pid);
  } finally {
    await c?.end().catch(() => {});
  }
}
