import { type Findings, quote, type Values } from "./rules-context.js";

/** RDS storage limits per type (PostgreSQL, MySQL, MariaDB). */
export const STORAGE_LIMITS = {
  gp3: { minGiB: 20, maxGiB: 65536 },
  gp2: { minGiB: 20, maxGiB: 65536 },
  io1: { minGiB: 100, maxGiB: 65536 },
  io2: { minGiB: 100, maxGiB: 65536 },
} as const;
/** gp3 below this size has a fixed baseline (3,000 IOPS, 125 MiB/s); from it, 12,000 IOPS and 500 MiB/s. */
export const GP3_PROVISIONING_FROM_GIB = 400;

/** Storage type, size, IOPS, throughput, autoscaling and encryption. */
export function checkStorage(v: Values, f: Findings): void {
  const type = v.str("DB_STORAGE_TYPE") as keyof typeof STORAGE_LIMITS | undefined;
  const size = v.int("DB_ALLOCATED_STORAGE");
  const iops = v.optInt("DB_IOPS");
  const throughput = v.optInt("DB_STORAGE_THROUGHPUT");

  if (type !== undefined && size !== undefined && size < STORAGE_LIMITS[type].minGiB) {
    f.error(
      ["DB_ALLOCATED_STORAGE", "DB_STORAGE_TYPE"],
      `${size} GiB is too small for ${type}: it needs at least ${STORAGE_LIMITS[type].minGiB} GiB`,
      `Set DB_ALLOCATED_STORAGE="${STORAGE_LIMITS[type].minGiB}" or more, or choose gp3.`,
    );
  }
  checkAutoscaling(v, f, size);
  checkKms(v, f);
  if (type === undefined || size === undefined || iops === undefined || throughput === undefined) return;

  if (type === "gp2") {
    if (iops !== null)
      f.error(
        "DB_IOPS",
        "gp2 storage has no provisioned IOPS (it gives 3 IOPS per GiB)",
        "Remove DB_IOPS, or choose gp3, io1 or io2.",
      );
    if (throughput !== null)
      f.error(
        "DB_STORAGE_THROUGHPUT",
        "gp2 storage has no configurable throughput",
        "Remove DB_STORAGE_THROUGHPUT, or choose gp3.",
      );
  } else if (type === "gp3") {
    checkGp3(size, iops, throughput, f);
  } else {
    if (throughput !== null)
      f.error(
        "DB_STORAGE_THROUGHPUT",
        `${type} storage has no configurable throughput`,
        "Remove DB_STORAGE_THROUGHPUT (only gp3 takes one).",
      );
    if (iops === null) {
      f.error(
        ["DB_IOPS", "DB_STORAGE_TYPE"],
        `${type} storage needs provisioned IOPS`,
        `Set DB_IOPS, e.g. DB_IOPS="${Math.max(1000, size * 10)}" (1,000-256,000).`,
      );
    } else if (iops < 1000 || iops > 256000) {
      f.error("DB_IOPS", `${iops} IOPS is out of range for ${type}`, "Set DB_IOPS between 1000 and 256000.");
    } else {
      const maxRatio = type === "io1" ? 50 : 1000;
      const ratio = iops / size;
      if (ratio < 0.5 || ratio > maxRatio) {
        const lo = Math.ceil(size * 0.5);
        const hi = Math.min(256000, size * maxRatio);
        f.error(
          ["DB_IOPS", "DB_ALLOCATED_STORAGE"],
          `${iops} IOPS on ${size} GiB is ${fmtRatio(ratio)} IOPS per GiB; ${type} allows 0.5-${maxRatio}`,
          lo <= hi
            ? `Set DB_IOPS between ${Math.max(1000, lo)} and ${hi}, or change DB_ALLOCATED_STORAGE.`
            : "Change DB_ALLOCATED_STORAGE.",
        );
      }
    }
  }
}

function fmtRatio(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(2);
}

function checkGp3(size: number, iops: number | null, throughput: number | null, f: Findings): void {
  if (size < GP3_PROVISIONING_FROM_GIB) {
    const base = "gp3 below 400 GiB has a fixed baseline of 3,000 IOPS and 125 MiB/s";
    const fix = "Remove it, or set DB_ALLOCATED_STORAGE to 400 or more.";
    if (iops !== null)
      f.error(["DB_IOPS", "DB_ALLOCATED_STORAGE"], `${base}; IOPS can be set only from 400 GiB`, fix);
    if (throughput !== null)
      f.error(
        ["DB_STORAGE_THROUGHPUT", "DB_ALLOCATED_STORAGE"],
        `${base}; throughput can be set only from 400 GiB`,
        fix,
      );
    return;
  }
  let ok = true;
  if (iops !== null && (iops < 12000 || iops > 64000)) {
    f.error(
      "DB_IOPS",
      `${iops} IOPS is out of range for gp3`,
      "Set DB_IOPS between 12000 and 64000, or leave it empty for the 12,000 baseline.",
    );
    ok = false;
  }
  if (throughput !== null && (throughput < 500 || throughput > 4000)) {
    f.error(
      "DB_STORAGE_THROUGHPUT",
      `${throughput} MiB/s is out of range for gp3`,
      "Set DB_STORAGE_THROUGHPUT between 500 and 4000, or leave it empty for the 500 MiB/s baseline.",
    );
    ok = false;
  }
  const effIops = iops ?? 12000;
  const effThroughput = throughput ?? 500;
  if (ok && effThroughput / effIops > 0.25) {
    f.error(
      ["DB_STORAGE_THROUGHPUT", "DB_IOPS"],
      `${effThroughput} MiB/s with ${effIops} IOPS is more than 0.25 MiB/s per IOPS, which gp3 allows`,
      `Raise DB_IOPS to at least ${Math.ceil(effThroughput * 4)}, or lower DB_STORAGE_THROUGHPUT to at most ${Math.floor(effIops / 4)}.`,
    );
  }
}

function checkAutoscaling(v: Values, f: Findings, size: number | undefined): void {
  const on = v.bool("DB_STORAGE_AUTOSCALING_ENABLED");
  const max = v.int("DB_MAX_ALLOCATED_STORAGE");
  if (on !== true || max === undefined || size === undefined) return;
  const least = Math.ceil((size * 11) / 10);
  if (max < least) {
    f.error(
      ["DB_MAX_ALLOCATED_STORAGE", "DB_ALLOCATED_STORAGE"],
      `DB_MAX_ALLOCATED_STORAGE (${max} GiB) is below 110% of DB_ALLOCATED_STORAGE (${size} GiB), the least RDS accepts for storage autoscaling`,
      `Set DB_MAX_ALLOCATED_STORAGE="${Math.min(least, 65536)}" or more, or DB_STORAGE_AUTOSCALING_ENABLED="false".`,
    );
  }
}

/** Key ids, key ARNs, aliases and alias ARNs, as RDS accepts for KmsKeyId. */
const KMS_KEY =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)|alias\/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function checkKms(v: Values, f: Findings): void {
  const key = v.optStr("DB_KMS_KEY_ID");
  if (!key) return;
  if (v.bool("DB_STORAGE_ENCRYPTED") === false) {
    f.error(
      ["DB_KMS_KEY_ID", "DB_STORAGE_ENCRYPTED"],
      "a KMS key is set but storage encryption is off",
      'Set DB_STORAGE_ENCRYPTED="true", or remove DB_KMS_KEY_ID.',
    );
  } else if (!KMS_KEY.test(key)) {
    f.error(
      "DB_KMS_KEY_ID",
      `${quote(key)} is not a KMS key id, key ARN or alias`,
      "Write a key id (1234abcd-12ab-34cd-56ef-1234567890ab), a key ARN, alias/<name> or an alias ARN.",
    );
  }
}
