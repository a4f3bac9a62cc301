import { type Findings, quote, type Values } from "./rules-context.js";
import { type KeyName, keyDef } from "./schema.js";

const REPLICA_KEYS: readonly KeyName[] = [
  "DB_READ_REPLICA_COUNT",
  "DB_READ_REPLICA_MIN_CAPACITY",
  "DB_READ_REPLICA_MAX_CAPACITY",
  "DB_READ_REPLICA_TARGET_CPU",
  "DB_READ_REPLICA_SCALE_IN_COOLDOWN",
  "DB_READ_REPLICA_SCALE_OUT_COOLDOWN",
  "DB_READ_REPLICA_MAX_LAG_SECONDS",
  "DB_READ_REPLICA_INSTANCE_CLASS",
];

/** 0 <= min <= count <= max <= 15 (the ranges are checked per key), and replicas need backups. */
export function checkReplicas(v: Values, f: Findings): void {
  const enabled = v.bool("DB_READ_REPLICA_ENABLED");
  if (enabled === false) {
    // Replica settings without DB_READ_REPLICA_ENABLED: most likely the user expects replicas.
    const set = REPLICA_KEYS.filter((k) => f.isSet(k));
    if (set.length > 0 && !f.isSet("DB_READ_REPLICA_ENABLED")) {
      f.warn(
        set,
        `${set.length > 1 ? `${set.join(", ")} are` : "is"} ignored: read replicas are off unless DB_READ_REPLICA_ENABLED is true`,
        'Add DB_READ_REPLICA_ENABLED="true" to run replicas.',
      );
    } else {
      warnIgnoredWhileOff(v, f);
    }
    return;
  }
  if (enabled !== true) return;
  const min = v.int("DB_READ_REPLICA_MIN_CAPACITY");
  const count = v.int("DB_READ_REPLICA_COUNT");
  const max = v.int("DB_READ_REPLICA_MAX_CAPACITY");
  if (min !== undefined && max !== undefined && min > max) {
    f.error(
      ["DB_READ_REPLICA_MIN_CAPACITY", "DB_READ_REPLICA_MAX_CAPACITY"],
      `the minimum (${min}) is above the maximum (${max})`,
      "Make DB_READ_REPLICA_MIN_CAPACITY <= DB_READ_REPLICA_COUNT <= DB_READ_REPLICA_MAX_CAPACITY.",
    );
  } else {
    if (min !== undefined && count !== undefined && count < min) {
      f.error(
        ["DB_READ_REPLICA_COUNT", "DB_READ_REPLICA_MIN_CAPACITY"],
        `${count} replicas is below the minimum capacity (${min})`,
        `Set DB_READ_REPLICA_COUNT between ${min} and ${max ?? 15}.`,
      );
    }
    if (max !== undefined && count !== undefined && count > max) {
      f.error(
        ["DB_READ_REPLICA_COUNT", "DB_READ_REPLICA_MAX_CAPACITY"],
        `${count} replicas is above the maximum capacity (${max})`,
        `Set DB_READ_REPLICA_COUNT between ${min ?? 0} and ${max}, or raise DB_READ_REPLICA_MAX_CAPACITY.`,
      );
    }
  }
  if (max === 0) {
    f.warn(
      "DB_READ_REPLICA_MAX_CAPACITY",
      "is 0, so no replica ever runs although DB_READ_REPLICA_ENABLED is true",
      'Raise DB_READ_REPLICA_MAX_CAPACITY, or set DB_READ_REPLICA_ENABLED="false".',
    );
  }
  if (v.int("DB_BACKUP_RETENTION_DAYS") === 0) {
    f.error(
      ["DB_READ_REPLICA_ENABLED", "DB_BACKUP_RETENTION_DAYS"],
      "read replicas need automated backups, and DB_BACKUP_RETENTION_DAYS is 0",
      'Set DB_BACKUP_RETENTION_DAYS to 1 or more (7 is the default), or DB_READ_REPLICA_ENABLED="false".',
    );
  }
}

/**
 * DB_READ_REPLICA_ENABLED="false" with, say, DB_READ_REPLICA_COUNT="2": no replica runs, which the
 * user may not expect. A warning, not an error: the file is coherent (the spec's COUNT is "none
 * while disabled"), and turning replicas off by one key while keeping their sizing is a fair use.
 * Only values that differ from the defaults count, so the file `ebdb init` writes (replicas off,
 * every replica key at its default) stays silent.
 */
function warnIgnoredWhileOff(v: Values, f: Findings): void {
  const changed = REPLICA_KEYS.filter((k) => {
    if (!f.isSet(k)) return false;
    const d = keyDef(k)!;
    if (d.type === "integer") return v.int(k) !== undefined && v.int(k) !== Number(d.default);
    return (v.optStr(k) ?? "") !== (d.default ?? "");
  });
  if (changed.length === 0) return;
  const shown = changed.map((k) => `${k}=${v.int(k) ?? quote(v.optStr(k) ?? "")}`);
  f.warn(
    [...changed, "DB_READ_REPLICA_ENABLED"],
    `${shown.join(", ")} ${changed.length > 1 ? "have" : "has"} no effect: DB_READ_REPLICA_ENABLED is false, so no read replica runs`,
    `Set DB_READ_REPLICA_ENABLED="true" to run ${changed.includes("DB_READ_REPLICA_COUNT") ? `${v.int("DB_READ_REPLICA_COUNT")} replica(s)` : "replicas"}, or remove ${changed.length > 1 ? "those lines" : "that line"} if replicas stay off.`,
  );
}

/**
 * Whether Performance Insights keeps data this many days: 7 (free tier), 31 × months for 1-23
 * months, or 731 (RDS API reference, PerformanceInsightsRetentionPeriod).
 */
export function isInsightsRetention(days: number): boolean {
  return days === 7 || days === 731 || (days % 31 === 0 && days >= 31 && days <= 713);
}

/** What to write instead, with the nearest number of months. */
export function insightsRetentionHint(days: number): string {
  const months = Number.isFinite(days) ? Math.min(23, Math.max(1, Math.round(days / 31))) : 1;
  return `Use 7 (free), a multiple of 31 up to 713 (e.g. ${months * 31} for ${months} month${months > 1 ? "s" : ""}), or 731.`;
}

/** Performance Insights retention, alarm e-mail and the local port. */
export function checkMonitoring(v: Values, f: Findings): void {
  const retention = v.int("DB_PERFORMANCE_INSIGHTS_RETENTION");
  if (retention !== undefined && !isInsightsRetention(retention)) {
    f.error(
      "DB_PERFORMANCE_INSIGHTS_RETENTION",
      `${retention} days is not a retention Performance Insights offers`,
      insightsRetentionHint(retention),
    );
  }
  const email = v.optStr("DB_ALARM_EMAIL");
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    f.error(
      "DB_ALARM_EMAIL",
      `${quote(email)} is not an e-mail address`,
      "Write one address, e.g. ops@example.com, or leave it empty.",
    );
  }
  const port = v.optInt("DB_LOCAL_PORT");
  const max = v.bool("DB_READ_REPLICA_ENABLED") ? (v.int("DB_READ_REPLICA_MAX_CAPACITY") ?? 0) : 0;
  if (port && port + max > 65535) {
    f.error(
      "DB_LOCAL_PORT",
      `${port} leaves no port for ${max} replica${max > 1 ? "s" : ""} after it`,
      `Set DB_LOCAL_PORT to at most ${65535 - max}.`,
    );
  }
}
