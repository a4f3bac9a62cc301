/**
 * What a target observes for `ebdb doctor` and `ebdb top`, in one shape for both targets: the checks
 * (checks/*.ts) read only this. A part a target cannot observe is null, with the reason beside it.
 * Times are ISO-8601 strings, sizes bytes, durations seconds.
 */

/** One step of the connectivity path. `ok` null: not tried (the detail says why). */
export interface Step {
  ok: boolean | null;
  detail: string;
}

/** A server session as the activity checks show it (pg_stat_activity). */
export interface PgSession {
  pid: number;
  user: string | null;
  application: string;
  state: string | null;
  /** Seconds: since the query started (long queries), the transaction (long transactions), or the state changed (idle). */
  seconds: number;
  /** The statement's text, cut to 200 characters. */
  query: string;
  waitEvent?: string | null;
}

/** A session waiting for a lock, and those it waits for (pg_blocking_pids). */
export interface BlockedSession extends PgSession {
  blockedBy: PgSession[];
}

/** A row of pg_stat_statements, times in milliseconds. */
export interface StatementRow {
  query: string;
  database: string | null;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
  rows: number;
}

export interface StatementsFacts {
  /**
   * ok: read; missing: the extension is not created in the database; not-loaded: not in
   * shared_preload_libraries; unsafe: what the name resolves to is not the extension's (never run);
   * unavailable: read-only server or no privilege (detail says).
   */
  state: "ok" | "missing" | "not-loaded" | "unsafe" | "unavailable";
  detail: string;
  /** The extension's version and schema, when created. */
  version: string | null;
  schema: string | null;
  /** The total-time column the server's version names: total_exec_time (1.8+, PostgreSQL 13) or total_time. */
  totalColumn: string | null;
  /** Top statements by total time. */
  top: StatementRow[];
  /** Sum of total time over every statement (ms). */
  totalMs: number;
}

/** What the SQL of doctor/sql.ts returns, parsed (pg-sql.ts). */
export interface PgFacts {
  versionNum: number;
  database: string;
  connections: {
    used: number;
    max: number;
    reservedForSuperuser: number;
    byApplication: { application: string; state: string; count: number }[];
  };
  idleInTransaction: PgSession[];
  longTransactions: PgSession[];
  longQueries: PgSession[];
  blocked: BlockedSession[];
  statements: StatementsFacts;
  /**
   * Block accesses since the statistics were reset (pg_statio_user_tables): hits in shared_buffers,
   * reads from outside, and the reads past the first passes over each relation (thresholds.ts
   * cacheColdPasses), which are what a cache too small for the working set causes.
   */
  cache: {
    heapHit: number;
    heapRead: number;
    indexHit: number;
    indexRead: number;
    heapRereads: number;
    indexRereads: number;
  };
  unusedIndexes: { index: string; table: string; sizeBytes: number; scans: number }[];
  duplicateIndexes: { table: string; indexes: string[]; sizeBytes: number }[];
  foreignKeysWithoutIndex: { table: string; constraint: string; columns: string[]; references: string }[];
  bloat: { table: string; sizeBytes: number; wasteBytes: number; factor: number }[];
  nullIndexes: { index: string; table: string; column: string; nullFraction: number; sizeBytes: number }[];
  hotUpdates: { table: string; updates: number; hotUpdates: number }[];
  sequences: {
    sequence: string;
    column: string | null;
    dataType: string;
    lastValue: number;
    maxValue: number;
    minValue: number;
    increment: number;
  }[];
  wraparound: { databases: { name: string; age: number }[]; tables: { table: string; age: number }[] };
  unlogged: { table: string; sizeBytes: number }[];
  schemas: number;
  /** When the database's statistics were last reset (index scans count from then); null: never. */
  statsReset: string | null;
}

export interface ReplicaFacts {
  name: string;
  state: string;
  /** Bytes not yet replayed (local); null when unknown. */
  lagBytes: number | null;
  lagSeconds: number | null;
  /** The primary wrote nothing for the replica to replay: an apparent lag is not a fault. */
  primaryIdle: boolean | null;
  /** Local: the replica streams from the primary now (a row in pg_stat_replication). */
  streaming: boolean | null;
}

export interface SlotFacts {
  name: string;
  replica: string | null;
  active: boolean;
  walStatus: string | null;
  heldBytes: number | null;
  capBytes: number | null;
  lost: boolean;
}

export interface ArchiveFacts {
  enabled: boolean;
  /** ok, failing, stopped, continuous (AWS), unknown. */
  state: string;
  lastArchived: string | null;
  lastArchivedAt: string | null;
  failedCount: number;
  failingSince: string | null;
  lastError: string | null;
  /** AWS: how far LatestRestorableTime is behind now (seconds). */
  restorableLagSeconds?: number | null;
}

export interface StorageFacts {
  /** Bytes the database uses (local: the primary's data directory; AWS: allocated - FreeStorageSpace). */
  usedBytes: number | null;
  /** Bytes free for it to grow into now (local: the file system's available space; AWS: FreeStorageSpace). */
  freeBytes: number | null;
  allocatedBytes: number | null;
  /** The autoscaling maximum (AWS MaxAllocatedStorage); null when storage autoscaling is off. */
  maxAllocatedBytes: number | null;
  /** Local: the size of the file system holding the data. */
  fileSystemBytes?: number | null;
  /** Where locally (the file system holding the data). */
  path?: string | null;
  /** Recent growth, bytes per day (from the samples or the metric's history); null when too few. */
  growthBytesPerDay: number | null;
  /** Over how many hours that rate was measured. */
  growthWindowHours: number | null;
}

export interface CpuFacts {
  /** Percent of the instance's vCPUs (AWS CPUUtilization; local: the server's processes over a short sample). */
  utilization: number | null;
  /** What was measured (for the summary). */
  source: string;
  /** Burstable classes (db.t*): CPUCreditBalance now and an hour ago. */
  credits?: { balance: number | null; hourAgo: number | null } | null;
}

export interface CertificateFacts {
  /** The server certificate's expiry. */
  notAfter: string | null;
  /** The CA (AWS: its identifier, e.g. rds-ca-rsa2048-g1; local: the project CA). */
  ca: string | null;
  caNotAfter: string | null;
}

/** AWS: the security-group path from the EB instances to the database. */
export interface NetworkPathFacts {
  port: number;
  /** The EB environment's VPC and the database's subnet group's VPC. */
  ebVpc: string | null;
  dbVpc: string | null;
  /** The group the database's group must admit, and how the EB instances get it. */
  source: { id: string | null; name: string; attachedToEb: boolean };
  /** The database security group: exists, is attached to the instance, admits the source on the port. */
  dbGroup: { id: string | null; name: string; attached: boolean; admitsSource: boolean };
}

/**
 * AWS: connections as CloudWatch counts them (DatabaseConnections, the latest 5-minute maximum)
 * against max_connections as RDS computes it; the connections check reads it when `pg` is null.
 */
export interface ConnectionMetric {
  used: number | null;
  max: number | null;
  /** Where max comes from (the parameter group's value, or RDS's default formula for the class). */
  maxSource: string;
}

export interface HealthObservation {
  target: "local" | "aws";
  identifier: string;
  /** The instance examined. */
  instance: {
    name: string;
    role: "primary" | "replica" | "restored";
    /** running, stopped, available, stopped (AWS), ... */
    state: string;
    /** Whether that state serves connections (local: running; AWS: available). */
    serving: boolean;
    engine: string;
    engineVersion: string;
    instanceClass: string | null;
  };
  /** When it was observed (ISO-8601). */
  at: string;
  connectivity: { dns: Step; tcp: Step; tls: Step; auth: Step };
  certificate: CertificateFacts | null;
  /** null: does not apply (local). */
  network: NetworkPathFacts | null;
  pg: PgFacts | null;
  /** Why `pg` is null (not PostgreSQL, not reachable from here, not running...). */
  pgSkipped: string | null;
  /** null when the instance is a replica or the target cannot tell. */
  replication: { replicas: ReplicaFacts[]; slots: SlotFacts[] | null } | null;
  archive: ArchiveFacts | null;
  storage: StorageFacts | null;
  cpu: CpuFacts | null;
  /** AWS: DatabaseConnections against max_connections (absent locally: `pg` has the real figures). */
  connectionMetric?: ConnectionMetric | null;
}
