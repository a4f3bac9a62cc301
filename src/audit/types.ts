/**
 * What `ebdb audit` judges: the spec's ten best practices (database-setup-guide.md, "Best
 * Practices") against what exists. A target supplies an AuditObservation; practices.ts judges it.
 */

/** A restore ebdb made and saw finish (`ebdb restore` records it: audit's "restore tested"). */
export interface RestoreTest {
  /** When the restored instance was ready (ISO-8601). */
  at: string;
  /** The instance it made. */
  instance: string;
  /** What it restored from: "snapshot <id>", "time <ISO>", "latest". */
  source: string;
}

/** What a target observes for the audit. A null field does not apply or could not be read: `reasons` says why. */
export interface AuditObservation {
  target: "local" | "aws";
  identifier: string;
  /** When it was observed (ISO-8601). */
  at: string;
  engine: string;
  /** The primary's state (available, running, stopped, ...). */
  state: string;
  multiAz: boolean | null;
  /** Automated backups' retention in days (0: off). */
  backupRetentionDays: number | null;
  encryptionAtRest: { encrypted: boolean; kmsKeyId: string | null } | null;
  /** Whether the server refuses connections without TLS, and by what setting. */
  encryptionInTransit: { enforced: boolean; how: string } | null;
  /** The pooler in front of the primary: whether the configuration asks for one, and what runs. */
  pooling: { configured: boolean; kind: "rds-proxy" | "pgbouncer"; state: string | null; detail: string };
  /** CloudWatch alarms on the database: those ebdb's configuration asks for, those that exist, who is told. */
  alarms: { expected: string[]; present: string[]; subscribers: number } | null;
  /** Performance Insights or its successor, CloudWatch Database Insights (locally pg_stat_statements). */
  insights: { enabled: boolean; kind: string; detail: string; unsupported?: boolean } | null;
  /** Restores recorded by `ebdb restore`, newest first. */
  restoreTests: RestoreTest[];
  version: { current: string; latestMinor: string | null; autoMinorVersionUpgrade: boolean | null };
  parameterGroup: { name: string; custom: boolean; detail: string } | null;
  /** Tables migration tools keep (schema-qualified); null when the database could not be read. */
  migrations: { tables: string[] } | null;
  /** Why a field is null (or a practice does not apply here), by practice id. */
  reasons: Partial<Record<PracticeId, string>>;
}

export type PracticeId =
  | "multi-az"
  | "backups"
  | "encryption"
  | "pooling"
  | "alarms"
  | "performance-insights"
  | "restore-tested"
  | "minor-version"
  | "parameter-group"
  | "migrations";

export type PracticeStatus = "pass" | "fail" | "skipped";

export interface PracticeResult {
  id: PracticeId;
  /** The spec's words for the practice. */
  title: string;
  status: PracticeStatus;
  /** One sentence: what was found (or why it was not judged). */
  summary: string;
  /** The figures the verdict rests on (JSON-safe). */
  observed: Record<string, unknown>;
  /** What to do; null when it passes or was skipped. */
  fix: string | null;
  /** The ebdb command that makes it (after the config.env change the fix names); null when none does. */
  command: string | null;
}

export interface AuditReport {
  target: "local" | "aws";
  identifier: string;
  practices: PracticeResult[];
}

export interface AuditOptions {
  /** A restore test older than this many days does not count (default 90: once a quarter). */
  restoreWithinDays: number;
}
