import type { AuditObservation, RestoreTest } from "../audit/types.js";
import type { AutoscaleRunner } from "../autoscale/runner-types.js";
import type { HealthObservation } from "../doctor/observation.js";
import type { IoHost } from "../io.js";
import type { Plan } from "../model/change.js";
import type { Desired } from "../model/desired-types.js";
import type { Observed } from "../model/observed.js";
import type { Secret } from "../model/secret.js";

/** What an application needs to connect (what `ebdb env` prints). */
export interface ConnectionInfo {
  host: string;
  port: number;
  dbName: string;
  username: string;
  password: Secret;
  /** Read replicas, in order. */
  readers: { name: string; host: string; port: number }[];
  /**
   * libpq's sslmode for the application: `verify-full` checks the server's certificate against
   * `sslrootcert` and its name against the host (https://www.postgresql.org/docs/current/libpq-ssl.html).
   */
  sslmode: "require" | "verify-full" | "disable";
  /**
   * The CA certificate (a PEM file) that signs the servers' certificates, as an absolute path the
   * application reads (local: the project's CA, `.ebdb/<identifier>/ca.crt`). Absent or null: none.
   */
  sslrootcert?: string | null;
  /**
   * Every instance of this database one may connect to by name (`--instance NAME`), the primary
   * first, then the read replicas and the restored instances; each takes the same credentials.
   * Absent: the primary and `readers` only.
   */
  instances?: { name: string; role: "primary" | "replica" | "restored"; host: string; port: number }[];
  /**
   * The pooler in front of the primary (RDS Proxy on AWS, PgBouncer locally), which takes the same
   * credentials and TLS settings: DB_POOL_HOST, DB_POOL_PORT, DATABASE_POOL_URL. Absent or null: none.
   */
  pooler?: { host: string; port: number } | null;
}

/** The pooler in front of the primary, as `status` shows it. */
export interface PoolerStatus {
  kind: "pgbouncer" | "rds-proxy";
  name: string;
  /** Local: running, stopped, crashed, not installed. AWS: RDS Proxy's status (available, creating, ...). */
  state: string;
  host: string | null;
  port: number | null;
  /** Local: PgBouncer's pid and version. */
  pid?: number | null;
  version?: string | null;
  /** Server connections it may hold (PgBouncer's pool; RDS Proxy's MaxConnectionsPercent of max_connections). */
  maxServerConnections: number | null;
  /** Local: PgBouncer's SHOW POOLS, per database and user; null when it could not be asked. */
  pools?:
    | {
        database: string;
        user: string;
        clientsActive: number;
        clientsWaiting: number;
        serversActive: number;
        serversIdle: number;
        /** Seconds the oldest waiting client has waited. */
        maxWaitSeconds: number;
      }[]
    | null;
  /** What the user should know (e.g. how to install PgBouncer; RDS Proxy's targets' health). */
  note?: string | null;
}

export interface NodeStatus {
  name: string;
  role: "primary" | "replica" | "restored";
  /** running, stopped, crashed, available, creating, modifying... */
  state: string;
  host: string | null;
  port: number | null;
  pid: number | null;
  instanceClass: string | null;
  /** Replicas: bytes of WAL not yet replayed, and seconds behind. null when unknown or not a replica. */
  lagBytes: number | null;
  lagSeconds: number | null;
  /** AWS: whether the instance has a standby in another zone; undefined where it does not apply. */
  multiAz?: boolean;
  /** AWS: the instance's availability zone. */
  availabilityZone?: string | null;
  /**
   * Local, running nodes: client connections in use (other than ebdb's own probe) and the limits;
   * the application may use max - reservedForSuperuser of them. null when they could not be read.
   */
  connections?: { used: number; max: number; reservedForSuperuser: number } | null;
  /**
   * Local: why a running server turns new connections away (e.g. "too many clients"), or why ebdb
   * could not query it; null when it accepts them.
   */
  refusing?: string | null;
}

/** A physical replication slot on the primary (local target; pg_replication_slots, PostgreSQL 13+). */
export interface ReplicationSlotStatus {
  name: string;
  /** The replica it keeps WAL for; null when no replica uses it (left by a removed one). */
  replica: string | null;
  /** A replica streams through it now. */
  active: boolean;
  /** pg_replication_slots.wal_status: reserved, extended, unreserved or lost; null when the slot is gone. */
  walStatus: string | null;
  /** WAL the slot holds on the primary, in bytes (pg_current_wal_lsn() - restart_lsn); null once lost. */
  heldBytes: number | null;
  /** pg_replication_slots.safe_wal_size: bytes that can be written before it is lost; null when unlimited or lost. */
  safeBytes: number | null;
  /** max_slot_wal_keep_size in bytes, the most a slot may hold; null when unlimited. */
  capBytes: number | null;
  /** The primary removed WAL the slot needed (or the slot is gone): the replica cannot stream through it. */
  lost: boolean;
}

export interface BackupInfo {
  id: string;
  kind: "automated" | "manual" | "base";
  createdAt: string;
  sizeBytes: number | null;
  status: string;
}

export interface StatusReport {
  target: "local" | "aws";
  identifier: string;
  engine: string;
  engineVersion: string;
  nodes: NodeStatus[];
  backups: {
    enabled: boolean;
    retentionDays: number;
    /** WAL archive (local) or transaction-log backup state (aws). */
    archive: {
      state: string;
      lastArchived: string | null;
      lastArchivedAt: string | null;
      failedCount: number;
      /** Local: while failing, the first failure after the last success (from the server log when it still holds it). */
      failingSince?: string | null;
      /** Local: the archiver's last error, from the server log. */
      lastError?: string | null;
      /** Local: WAL segments waiting to be archived (pg_wal/archive_status/*.ready). */
      waiting?: number | null;
    } | null;
    list: BackupInfo[];
    earliestRestorableTime: string | null;
    latestRestorableTime: string | null;
    /** Local: bytes on disk the base backups take (files snapshots share counted once) and the WAL archive. */
    space?: { backupsBytes: number; archiveBytes: number } | null;
  };
  storage: {
    usedBytes: number | null;
    allocatedGiB: number | null;
    maxAllocatedGiB: number | null;
    /** Local: the file system holding the data (statfs), as df shows it. */
    disk?: { path: string; sizeBytes: number; availableBytes: number; usedPercent: number } | null;
  };
  alarmsInAlarm: string[];
  pendingModifications: Record<string, unknown>;
  /** Sentences worth telling the user (e.g. "backups are off: point-in-time restore is unavailable"). */
  notes: string[];
  /** Local: servers running from under the project's nodes directory that no node owns (none: []). */
  orphans?: OrphanServer[];
  /** Local: the replication slots on the primary and the WAL each holds; null when the primary cannot be queried. */
  replicationSlots?: ReplicationSlotStatus[] | null;
  /** The pooler in front of the primary (DB_RDS_PROXY_ENABLED); null or absent when there is none. */
  pooler?: PoolerStatus | null;
}

/** A PostgreSQL server that runs from the project's data but belongs to no node (left by an interruption). */
export interface OrphanServer {
  pid: number;
  /** The TCP port it listens on, when it can be read. */
  port: number | null;
  /** Its data directory (its `-D` argument). */
  dataDirectory: string;
  /** That directory was deleted under the running server. */
  directoryDeleted: boolean;
  /** What stops it. */
  fix: string;
}

export type RestoreSource =
  | { kind: "time"; time: Date }
  | { kind: "latest" }
  | { kind: "snapshot"; id: string };

export interface RestoreResult {
  name: string;
  host: string;
  port: number;
  restoredTo: string | null;
}

/** How `up` applies a plan (flags of `ebdb up`). */
export interface ApplyOptions {
  /** Disruptive changes now rather than in the next maintenance window (AWS). */
  applyImmediately?: boolean;
}

/** Extra options of `restore`. */
export interface RestoreOptions {
  /** Once the restored instance is available, point the application at it (AWS: the EB wiring). */
  switch?: boolean;
}

export interface ApplyResult {
  /** Changes actually made. */
  applied: number;
}

/** What `doctor` and `top` ask of observeHealth. */
export interface HealthOptions {
  /** A replica's or restored instance's name (default: the primary). */
  instance?: string;
  /** `top`: only what the live view shows (no connectivity steps, no network path, no history kept). */
  light?: boolean;
}

/** One per target. Day-2 operations in ops/ are written once against this interface. */
export interface Target {
  readonly name: "local" | "aws";
  /**
   * Runs `fn` as the one writer of this database (local: the project's lock; the second command
   * waits a few seconds, then fails naming the holder). A target without one runs `fn` as is.
   */
  lock?<T>(desired: Desired, what: string, fn: () => Promise<T>): Promise<T>;
  observe(desired: Desired): Promise<Observed>;
  apply(plan: Plan, desired: Desired, io: IoHost, opts?: ApplyOptions): Promise<ApplyResult>;
  status(desired: Desired): Promise<StatusReport>;
  connection(desired: Desired): Promise<ConnectionInfo>;
  snapshots: {
    create(desired: Desired, id: string | undefined, io: IoHost): Promise<BackupInfo>;
    list(desired: Desired): Promise<BackupInfo[]>;
    remove(desired: Desired, id: string, io: IoHost): Promise<void>;
  };
  restore(
    desired: Desired,
    from: RestoreSource,
    as: string | undefined,
    io: IoHost,
    opts?: RestoreOptions,
  ): Promise<RestoreResult>;
  replicas: {
    add(desired: Desired, io: IoHost): Promise<NodeStatus>;
    remove(desired: Desired, name: string | undefined, io: IoHost): Promise<void>;
    list(desired: Desired): Promise<NodeStatus[]>;
  };
  /** Stop without losing data (local only; AWS has no equivalent and says so). */
  down?(desired: Desired, io: IoHost): Promise<void>;
  destroy(desired: Desired, opts: { skipFinalSnapshot: boolean }, io: IoHost): Promise<void>;
  /** Removes one instance that is not the primary (a restored instance, or a replica), with its data. */
  destroyInstance?(desired: Desired, name: string, io: IoHost): Promise<void>;
  /**
   * The server log of a node (default the primary): recent lines, then, with `follow`, new text as it
   * is written until `signal` aborts. Yields chunks of text. A target without logs leaves it out.
   */
  logs?(
    desired: Desired,
    opts: {
      node?: string;
      follow?: boolean;
      lines?: number;
      signal?: AbortSignal;
      /** Only the slow-statement lines (log_min_duration_statement's `duration: ... ms`). */
      slow?: boolean;
      /** Only what was logged from then on. */
      since?: Date;
    },
  ): AsyncIterable<string>;
  /**
   * What `ebdb doctor` and `ebdb top` judge: the instance's state, the connectivity path, the
   * server's statistics, replication, archive, storage and CPU (doctor/observation.ts). Reads only.
   */
  observeHealth?(desired: Desired, opts?: HealthOptions): Promise<HealthObservation>;
  /** What `ebdb audit` judges: the spec's best practices' facts (audit/types.ts). Reads only. */
  observeAudit?(desired: Desired): Promise<AuditObservation>;
  /** Notes a restore that finished, for audit's "restore tested" (local: .ebdb/<id>; AWS: a tag on the primary). */
  recordRestoreTest?(desired: Desired, test: RestoreTest): Promise<void>;
  /** The read-replica autoscaler's runner (AWS: the Lambda function `up` deploys, read or run from here). */
  autoscaler?(desired: Desired): AutoscaleRunner;
  /** Lines printed before a mutating command asks (AWS: account, region, identifier). */
  preamble?(desired: Desired): Promise<string[]>;
  /** Day-2 operations a target may offer; a target without one says so clearly. */
  scale?(
    desired: Desired,
    req: { instanceClass?: string; storageGiB?: number; applyImmediately: boolean },
    io: IoHost,
  ): Promise<void>;
  setSlowQueryMs?(desired: Desired, ms: number, io: IoHost): Promise<void>;
  enableInsights?(desired: Desired, retentionDays: number, io: IoHost): Promise<void>;
  copySnapshot?(
    desired: Desired,
    req: { id: string; toRegion: string; kmsKeyId?: string; name?: string },
    io: IoHost,
  ): Promise<BackupInfo>;
}
