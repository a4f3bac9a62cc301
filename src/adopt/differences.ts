import { parameterGroupFamily } from "../config/catalog/engines.js";
import { insightsUnsupported } from "../config/catalog/instance-classes.js";
import { defaultLogExports } from "../config/catalog/log-exports.js";
import { KEYS, type KeyDef } from "../config/schema.js";
import type { Engine } from "../model/config.js";
import type { AdoptedDatabase } from "./config-from-instance.js";

/** The instance already has ebdb's own parameter group, `<identifier>-<family>` (an earlier `up` made it). */
export function ownGroupOf(db: AdoptedDatabase): boolean {
  const family = parameterGroupFamily(db.engine as Engine, db.engineVersion);
  return family !== null && db.parameterGroup === `${db.identifier}-${family.replace(/\./g, "-")}`;
}

/**
 * DB_READ_REPLICA_INSTANCE_CLASS for the replicas there are: the class most of them have (the first
 * replica's among equals), so the plan resizes the fewest; null without replicas. Pure.
 */
export function replicaClassOf(db: AdoptedDatabase): string | null {
  const count = new Map<string, number>();
  for (const r of db.replicas) count.set(r.instanceClass, (count.get(r.instanceClass) ?? 0) + 1);
  let best: string | null = null;
  for (const [cls, n] of count) if (best === null || n > count.get(best)!) best = cls;
  return best;
}

/**
 * When the replicas have different classes: ebdb gives all its replicas one class
 * (DB_READ_REPLICA_INSTANCE_CLASS, the one most have), so `plan` would resize the others. Null when
 * they agree. Pure.
 */
export function replicaClassNote(db: AdoptedDatabase): string | null {
  const cls = replicaClassOf(db);
  const other = db.replicas.filter((r) => r.instanceClass !== cls);
  if (!cls || other.length === 0) return null;
  return `the replicas have different classes, and ebdb keeps one for all: \`plan\` moves ${other.map((r) => `${r.name} (${r.instanceClass})`).join(", ")} to ${cls}, each unavailable for reads for several minutes while RDS resizes it; set DB_READ_REPLICA_INSTANCE_CLASS to the class all should have`;
}

/**
 * Replicas whose Performance Insights, log exports, storage autoscaling or parameter group differ
 * from the primary's (RDS does not copy the first three to a replica made by hand; the group is the
 * primary's unless one was named): ebdb gives its replicas the primary's, so `plan` changes them.
 * Null when all agree. Pure.
 */
export function replicaSettingsNote(db: AdoptedDatabase): string | null {
  const same = (a: string[], b: string[]) => [...a].sort().join() === [...b].sort().join();
  const parts = db.replicas.flatMap((r) => {
    const what: string[] = [];
    if (r.performanceInsights !== undefined && r.performanceInsights !== db.performanceInsights.enabled)
      what.push(`Performance Insights ${db.performanceInsights.enabled ? "on" : "off"}`);
    if (r.logExports !== undefined && !same(r.logExports, db.logExports))
      what.push(`log exports ${db.logExports.join(",") || "none"}`);
    if (r.maxAllocatedGiB !== undefined && r.maxAllocatedGiB !== db.maxAllocatedGiB)
      what.push(
        db.maxAllocatedGiB === null
          ? "storage autoscaling off"
          : `storage autoscaling to ${db.maxAllocatedGiB} GiB`,
      );
    if (r.parameterGroup !== undefined && r.parameterGroup !== db.parameterGroup)
      what.push(`parameter group ${db.parameterGroup} (a restart of the replica)`);
    return what.length ? [`${r.name}: ${what.join(", ")}`] : [];
  });
  if (parts.length === 0) return null;
  return `ebdb gives its replicas the primary's settings, so \`plan\` changes (online unless said) ${parts.join("; ")}`;
}

/** The least MaxAllocatedStorage RDS accepts for the instance's storage: 110% of it, at most 65536 GiB. */
export function leastMaxAllocated(db: AdoptedDatabase): number {
  return Math.min(65536, Math.ceil((db.allocatedGiB * 11) / 10));
}

/**
 * When storage autoscaling has grown the volume to (near) its limit, MaxAllocatedStorage is below the
 * 110% RDS accepts when it is set (RDS User Guide, "Managing capacity automatically with Amazon RDS
 * storage autoscaling"), so config.env cannot hold it: it holds the least RDS accepts, and `plan`
 * raises the limit to it (online). Null otherwise. Pure.
 */
export function storageLimitNote(db: AdoptedDatabase): string | null {
  const least = leastMaxAllocated(db);
  if (db.maxAllocatedGiB === null || db.maxAllocatedGiB >= least) return null;
  return `storage autoscaling has grown ${db.identifier} to ${db.allocatedGiB} GiB, against its limit of ${db.maxAllocatedGiB} GiB (MaxAllocatedStorage); RDS accepts no limit below ${least} GiB, so config.env holds ${least} and \`plan\` raises the limit to it (online)`;
}

/**
 * Settings of the live instance below the production defaults of ebdb's schema (the spec's guide):
 * Multi-AZ, encryption, backups, deletion protection, gp3, storage autoscaling, Performance Insights,
 * TLS enforcement and the slow-query log (from ebdb's own parameter group).
 */
export function productionDifferences(
  db: AdoptedDatabase,
): { key: string; live: string; production: string }[] {
  const def = (key: string) => (KEYS as readonly KeyDef[]).find((d) => d.key === key)?.default ?? "";
  const out: { key: string; live: string; production: string }[] = [];
  const check = (key: string, live: string, below: boolean) => {
    if (below) out.push({ key, live, production: def(key) });
  };
  check("DB_MULTI_AZ", String(db.multiAz), !db.multiAz);
  check("DB_DELETION_PROTECTION", String(db.deletionProtection), !db.deletionProtection);
  check("DB_STORAGE_TYPE", db.storageType, db.storageType === "gp2");
  check("DB_STORAGE_AUTOSCALING_ENABLED", String(db.maxAllocatedGiB !== null), db.maxAllocatedGiB === null);
  check("DB_STORAGE_ENCRYPTED", String(db.encrypted), !db.encrypted);
  check(
    "DB_BACKUP_RETENTION_DAYS",
    String(db.backupRetentionDays),
    db.backupRetentionDays < Number(def("DB_BACKUP_RETENTION_DAYS")),
  );
  // RDS for MySQL and MariaDB has no Performance Insights on the smallest classes: no default to miss.
  check(
    "DB_PERFORMANCE_INSIGHTS_ENABLED",
    String(db.performanceInsights.enabled),
    !db.performanceInsights.enabled && !insightsUnsupported(db.instanceClass, db.engine as Engine),
  );
  check("DB_AUTO_MINOR_VERSION_UPGRADE", String(db.autoMinorVersionUpgrade), !db.autoMinorVersionUpgrade);
  // ebdb's additions beyond the instance: its parameter group (TLS enforced, slow statements
  // logged), log exports, alarms, and replica autoscaling.
  if (!ownGroupOf(db)) out.push({ key: "DB_PARAMETER_GROUP_NAME", live: db.parameterGroup, production: "" });
  if (db.logExports.length === 0) {
    const production = defaultLogExports(db.engine as Engine).join(",");
    out.push({ key: "DB_CLOUDWATCH_LOGS_EXPORTS", live: "none", production });
  }
  check("DB_ALARMS_ENABLED", String(db.alarms), !db.alarms);
  const n = db.replicas.length;
  const max = Number(def("DB_READ_REPLICA_MAX_CAPACITY"));
  if (n > 0 && n < max && !db.autoscaling)
    out.push({ key: "DB_READ_REPLICA_MAX_CAPACITY", live: String(n), production: String(max) });
  return out;
}
