import { fmt } from "./common.js";

/**
 * The reader endpoint's rule, the same on both targets: an application reading through it reaches
 * only replicas that are ready, i.e.
 * - available: running and accepting connections (locally: ebdb's own connection and a query succeed);
 * - caught up: its replication lag is known and at most the bound (`--max-lag`, default 10 s);
 * - warmed: a warm-up read of the largest tables has run on it since it was created. A new RDS replica,
 *   like an instance restored from a snapshot, loads its blocks lazily from S3, so its first queries
 *   are slow until each block was read once (RDS User Guide, restoring from a DB snapshot: lazy
 *   loading, mitigated by full-table scans); reading the largest tables whole does that before any
 *   application query waits for it.
 * Replication lag is a readiness gate, never a load signal (an idle replica can report minutes of lag).
 */

/** The default bound on replication lag for a replica in the reader endpoint (seconds). */
export const DEFAULT_MAX_LAG_SECONDS = 10;

/** What a runner knows of one replica at one check. */
export interface ReplicaHealth {
  name: string;
  /** Running, and ebdb's connection and query succeeded. */
  accepting: boolean;
  /** Why it is not accepting (stopped, being created, refusing: too many clients...); null when it is. */
  problem: string | null;
  /** Seconds behind the primary (see WalClock); null when unknown. */
  lagSeconds: number | null;
  /** A warm-up read ran on it since it was created. */
  warmed: boolean;
}

export interface Readiness {
  ready: boolean;
  /** Why (for `autoscale status` and the runner's log), e.g. "lag 25 s over the 10 s bound". */
  why: string;
}

/** Whether a replica may be in the reader endpoint, and why (see the rule above). */
export function readiness(h: ReplicaHealth, maxLagSeconds: number): Readiness {
  if (!h.accepting) return { ready: false, why: h.problem ?? "not accepting connections" };
  if (h.lagSeconds === null) return { ready: false, why: "replication lag not known yet" };
  if (h.lagSeconds > maxLagSeconds)
    return { ready: false, why: `lag ${fmt(h.lagSeconds)} s over the ${fmt(maxLagSeconds)} s bound` };
  if (!h.warmed) return { ready: false, why: "caught up, not warmed yet" };
  return { ready: true, why: `ready (lag ${fmt(h.lagSeconds)} s)` };
}

/**
 * Replication lag in seconds from WAL positions alone, without writing to the primary and without
 * the replica's last-replayed-transaction time (which grows while the primary is idle: lag is not
 * load). The runner records the primary's WAL position (pg_current_wal_lsn(), as bytes) at each
 * check; a replica whose replay position (pg_last_wal_replay_lsn()) has not reached a position the
 * primary had at time T is at least now - T behind. Precise to one check interval.
 */
export class WalClock {
  private samples: { atMs: number; lsn: number }[] = [];

  /** Keeps what is needed to tell lags up to `horizonSeconds` (the bound, with room). */
  constructor(private readonly horizonSeconds: number) {}

  /** Records the primary's WAL position (bytes) at `atMs`. */
  record(atMs: number, lsn: number): void {
    const last = this.samples.at(-1);
    if (last && lsn < last.lsn) this.samples = []; // a new primary (restore, rebuild): start over
    this.samples.push({ atMs, lsn });
    // Keep one sample older than the horizon, so a lag beyond it is still known to be beyond it.
    const horizon = atMs - 2 * this.horizonSeconds * 1000;
    while (this.samples.length > 2 && this.samples[1].atMs < horizon) this.samples.shift();
  }

  /**
   * Seconds a replica replayed up to `replayLsn` is behind at `nowMs`: 0 when it has replayed all the
   * primary had at the last check; otherwise the age of the oldest recorded position it has not
   * reached. Null when it is behind every recorded position and they span less than the horizon
   * (too little history to bound it), or when nothing was recorded.
   */
  lagSeconds(replayLsn: number, nowMs: number): number | null {
    if (this.samples.length === 0) return null;
    const first = this.samples.findIndex((s) => s.lsn > replayLsn);
    if (first === -1) return 0;
    const age = Math.max(0, (nowMs - this.samples[first].atMs) / 1000);
    if (first === 0 && age < this.horizonSeconds) return null;
    return Math.round(age * 10) / 10;
  }
}
