import type { Change } from "../model/change.js";
import type { Desired } from "../model/desired-types.js";
import type { Observed, ObservedInstance } from "../model/observed.js";

/** What the diff collects while it walks the resources. */
export interface DiffContext {
  desired: Desired;
  observed: Observed;
  now: Date;
  allowReplace: boolean;
  changes: Change[];
  refused: Change[];
  notes: string[];
}

/**
 * RDS's names for pending modifications (PendingModifiedValues), beside our own field names: a target
 * may report either.
 */
const RDS_PENDING_KEYS: Record<string, string> = {
  instanceClass: "DBInstanceClass",
  engineVersion: "EngineVersion",
  "storage.allocatedGiB": "AllocatedStorage",
  "storage.type": "StorageType",
  "storage.iops": "Iops",
  "storage.throughputMiBps": "StorageThroughput",
  multiAz: "MultiAZ",
  "backup.retentionDays": "BackupRetentionPeriod",
  port: "Port",
  name: "DBInstanceIdentifier",
  subnetGroup: "DBSubnetGroupName",
  logExports: "PendingCloudwatchLogsExports",
  caCertificateIdentifier: "CACertificateIdentifier",
};

/** The value a pending modification will set for a field, or undefined when none is pending. */
export function pendingValue(pending: Record<string, unknown>, field: string): unknown {
  if (field in pending) return pending[field];
  const rds = RDS_PENDING_KEYS[field];
  return rds !== undefined && rds in pending ? pending[rds] : undefined;
}

/** Equality for observed vs desired values: numbers and strings loosely ("20" = 20), arrays as sets. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const as = new Set(a.map(String));
    const bs = new Set(b.map(String));
    return as.size === bs.size && [...as].every((x) => bs.has(x));
  }
  if (a === null || a === undefined || b === null || b === undefined)
    return a === b || (a ?? null) === (b ?? null);
  if (typeof a === "object" || typeof b === "object") return JSON.stringify(a) === JSON.stringify(b);
  return String(a).trim().toLowerCase() === String(b).trim().toLowerCase();
}

/** A value as a person reads it in a plan. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return "(none)";
  if (Array.isArray(v)) return v.length === 0 ? "(none)" : v.join(", ");
  if (typeof v === "boolean") return v ? "on" : "off";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * Adds an instance update unless the same value is already pending for the maintenance window, in
 * which case the plan only says so.
 */
export function pushInstanceChange(ctx: DiffContext, have: ObservedInstance, change: Change): void {
  if (change.action === "update" && change.field !== undefined) {
    const pending = pendingValue(have.pendingModifications ?? {}, change.field);
    if (pending !== undefined && sameValue(pending, change.to)) {
      ctx.notes.push(
        `${change.resource}: ${change.field} → ${show(change.to)} is already pending in the maintenance window (${have.maintenanceWindow} UTC); nothing more to do.`,
      );
      return;
    }
  }
  ctx.changes.push(change);
}
