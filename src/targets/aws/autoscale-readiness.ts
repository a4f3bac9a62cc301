import { fmt } from "../../autoscale/common.js";

/**
 * Whether an RDS read replica may be in the reader record (DB_READER_HOST), from what the runner sees
 * outside the VPC: DescribeDBInstances and CloudWatch. Pure. A replica is ready when it is
 * - available: RDS says `available` (or `storage-optimization`, which serves reads) and its read
 *   replication is normal (StatusInfos "read replication": replicating);
 * - caught up: its latest ReplicaLag (CloudWatch, seconds, at most 3 minutes old) is within the
 *   bound (DB_READ_REPLICA_MAX_LAG_SECONDS), or the primary wrote nothing since the replica's last
 *   replayed transaction. RDS for PostgreSQL reports ReplicaLag as now - pg_last_xact_replay_timestamp()
 *   (RDS User Guide, "Monitoring and tuning the replication process"), which grows on an idle primary
 *   although there is nothing to replay; the primary's TransactionLogsGeneration (bytes of WAL a
 *   second) at or under IDLE_WAL_BYTES_PER_SECOND in every minute of that span tells the two apart;
 * - settled: it has been available and caught up since at least SETTLE_MINUTES ago. The runner does
 *   not read the replica's tables (it runs outside the VPC, see README), so this is what stands in
 *   for the local runner's warm-up read: a new replica is never in the record the minute it appears.
 */

/** Minutes a new replica stays out of the record after it is first available and caught up. */
export const SETTLE_MINUTES = 3;
/** WAL a second an idle primary may still write (RDS's own heartbeat and checkpoints), bytes. */
export const IDLE_WAL_BYTES_PER_SECOND = 4096;
/** A ReplicaLag point older than this says nothing about now. */
const LAG_FRESH_MS = 3 * 60_000;
/** Statuses in which a replica serves reads. */
const SERVING = new Set(["available", "storage-optimization"]);

export interface ReplicaFacts {
  status: string;
  /** StatusInfos of type "read replication": Normal and Status; null when RDS gave none. */
  replication: { normal: boolean; status: string } | null;
  /** The latest ReplicaLag point, or null. */
  lag: { atMs: number; seconds: number } | null;
  /** When the runner first saw it available and caught up (its tag), or null. */
  availableSinceMs: number | null;
}

/** The primary's TransactionLogsGeneration by minute (ms -> bytes/s), for the idle rule. */
export type WalRate = ReadonlyMap<number, number>;

export interface Readiness {
  ready: boolean;
  /** Available and caught up now (settled or not): when the settling starts. */
  caughtUp: boolean;
  why: string;
}

/** Whether the primary wrote nothing from `fromMs` to `toMs` (every minute known and idle). */
export function primaryIdle(wal: WalRate, fromMs: number, toMs: number): boolean {
  const first = Math.floor(fromMs / 60_000) * 60_000;
  for (let t = first; t < toMs; t += 60_000) {
    const v = wal.get(t);
    if (v === undefined || v > IDLE_WAL_BYTES_PER_SECOND) return false;
  }
  return first < toMs;
}

/** The reader record's rule for one replica at `nowMs` (see above). */
export function replicaReadiness(
  f: ReplicaFacts,
  nowMs: number,
  maxLagSeconds: number,
  wal: WalRate,
): Readiness {
  const no = (why: string): Readiness => ({ ready: false, caughtUp: false, why });
  if (!SERVING.has(f.status)) return no(f.status);
  if (f.replication && (!f.replication.normal || f.replication.status !== "replicating"))
    return no(`${f.status}, read replication ${f.replication.status}`);
  if (!f.lag || nowMs - f.lag.atMs > LAG_FRESH_MS) return no("replication lag not known yet");
  let lagWhy = `lag ${fmt(f.lag.seconds)} s`;
  if (f.lag.seconds > maxLagSeconds) {
    const replayedAt = f.lag.atMs - f.lag.seconds * 1000;
    if (!primaryIdle(wal, replayedAt, f.lag.atMs))
      return no(`lag ${fmt(f.lag.seconds)} s over the ${fmt(maxLagSeconds)} s bound`);
    lagWhy = `lag ${fmt(f.lag.seconds)} s, but the primary wrote nothing since: nothing to replay`;
  }
  const since = f.availableSinceMs ?? nowMs;
  const settled = Math.floor((nowMs - since) / 60_000);
  if (settled < SETTLE_MINUTES)
    return { ready: false, caughtUp: true, why: `caught up, settling: ${settled} of ${SETTLE_MINUTES} min` };
  return { ready: true, caughtUp: true, why: `ready (${lagWhy})` };
}
