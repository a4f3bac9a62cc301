import type { Thresholds } from "./types.js";

/**
 * The defaults, each from a source:
 * - connections 75% / 90% of max_connections, and the 5-second long query: the issue and the spec's
 *   Troubleshooting ("queries running longer than 5 seconds");
 * - idle in transaction for more than a minute: Heroku's pg:diagnose ("any idle in transaction > 1 min");
 * - long transactions 5 and 60 minutes: an open transaction holds back VACUUM (its snapshot's xmin),
 *   so bloat grows while it lasts (PostgreSQL docs, "Routine Vacuuming");
 * - cache hit rate 0.99: the spec's CloudWatch-era rule of thumb and pg-extras' `cache_hit` advice;
 *   0.90 is where most reads go to disk.
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  connectionsYellow: 0.75,
  connectionsRed: 0.9,
  longQuerySeconds: 5,
  idleInTransactionSeconds: 60,
  longTransactionYellowSeconds: 300,
  longTransactionRedSeconds: 3600,
  cacheHitYellow: 0.99,
  cacheHitRed: 0.9,
};

/** Other fixed limits the checks use, with their sources. */
export const LIMITS = {
  /** pg-extras `diagnose`: an index scanned fewer than 20 times and of at least 1 MB is unused. */
  unusedIndexMaxScans: 20,
  unusedIndexMinBytes: 1_000_000,
  /** pg-extras `null_indexes`: an index of at least 1 MB whose column is at least half NULL. */
  nullIndexMinBytes: 1_000_000,
  nullIndexMinFraction: 0.5,
  /** Heroku's pg:diagnose: bloat more than 10 times the estimate and more than 50 MB wasted. */
  bloatMinFactor: 10,
  bloatMinWasteBytes: 50 * 1024 * 1024,
  /** Too few block accesses (beyond the first reads) to judge a hit rate. */
  cacheMinBlocks: 10_000,
  /**
   * Reads of a relation up to this many times its size are first reads (a new block is counted as a
   * read when written; every block is read once after a restart): left out of the judged rate.
   */
  cacheColdPasses: 2,
  /** A table's HOT share of its updates under which the check is yellow, from this many updates. */
  hotMinUpdates: 10_000,
  hotMinRatio: 0.5,
  /** A slow statement (mean over the long-query threshold) counts from this many calls. */
  slowStatementMinCalls: 3,
  /** A sequence's share of its range used: yellow from, red from. */
  sequenceYellow: 0.75,
  sequenceRed: 0.9,
  /**
   * Transaction-ID age: red from 1 billion (AWS Database Blog, "Implement an early warning system
   * for transaction ID wraparound in Amazon RDS for PostgreSQL": alarm on MaximumUsedTransactionIDs
   * at 1 billion), yellow from half of that (2^31 is where PostgreSQL stops).
   */
  wraparoundYellow: 500_000_000,
  wraparoundRed: 1_000_000_000,
  /** Many schemas slow pg_dump and the catalog (Heroku's pg:diagnose counts them). */
  schemasYellow: 100,
  /** A replica behind by this much is yellow, red (seconds). */
  replicaLagYellowSeconds: 30,
  replicaLagRedSeconds: 300,
  /** A slot holding this share of max_slot_wal_keep_size (or of allocated storage) is red. */
  slotHeldRed: 0.5,
  /** Storage: free share of allocated under which yellow / red (RDS storage autoscaling acts under 10%). */
  storageFreeYellow: 0.2,
  storageFreeRed: 0.1,
  /** Storage: days until full at the recent rate, yellow / red. */
  storageDaysYellow: 14,
  storageDaysRed: 2,
  /** CPU: the spec's "keep CPUUtilization below 80%"; red from 95%. */
  cpuYellow: 80,
  cpuRed: 95,
  /** Certificates: days before expiry, yellow / red. */
  certDaysYellow: 90,
  certDaysRed: 7,
  /** AWS: RDS uploads transaction logs every 5 minutes; a LatestRestorableTime older than this is red. */
  restorableLagRedSeconds: 15 * 60,
} as const;
