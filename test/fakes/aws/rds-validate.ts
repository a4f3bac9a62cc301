import type { Ctx } from "./kit.js";
import { findKey } from "./kms.js";
import { ENGINES } from "./rds-catalog.js";
import type { KmsKey } from "./state.js";

/** RDS identifiers: 1-63 letters, digits or hyphens, a letter first, no trailing or double hyphen. */
export function checkIdentifier(ctx: Ctx, value: string | undefined, param: string): string {
  if (!value) throw ctx.err("MissingParameter", `The request must contain the parameter ${param}`);
  if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/.test(value) || value.endsWith("-")) {
    throw ctx.err(
      "InvalidParameterValue",
      `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return value.toLowerCase();
}

/** Master password rules: printable ASCII except / " @ and space; 8-128 (PostgreSQL) or 8-41 (MySQL, MariaDB). */
export function checkPassword(ctx: Ctx, engine: string, password: string | undefined): void {
  if (password === undefined) return;
  const max = ENGINES[engine]?.passwordMax ?? 128;
  if (password.length < 8 || password.length > max) {
    throw ctx.err(
      "InvalidParameterValue",
      `The parameter MasterUserPassword is not a valid password because it is ${password.length < 8 ? "shorter than 8" : `longer than ${max}`} characters.`,
    );
  }
  if (!/^[\x21-\x7e]+$/.test(password) || /[/"@]/.test(password)) {
    throw ctx.err(
      "InvalidParameterValue",
      `The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '"', ' ' may be used.`,
    );
  }
}

export function checkUsername(ctx: Ctx, engine: string, username: string | undefined): string {
  if (!username)
    throw ctx.err(
      "InvalidParameterValue",
      "The parameter MasterUsername must be provided and must not be blank.",
    );
  const max = engine === "postgres" ? 63 : 32;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(username) || username.length > max) {
    throw ctx.err(
      "InvalidParameterValue",
      `The parameter MasterUsername is not a valid identifier. It must begin with a letter, contain only alphanumeric characters or underscores, and have at most ${max} characters.`,
    );
  }
  if (["rdsadmin", "rdsrepladmin", "rds_superuser"].includes(username.toLowerCase())) {
    throw ctx.err(
      "InvalidParameterValue",
      `MasterUsername ${username} cannot be used as it is a reserved word used by the engine`,
    );
  }
  return username;
}

export interface StorageSpec {
  engine: string;
  storageType: string;
  allocated: number;
  iops: number | undefined;
  throughput: number | undefined;
  maxAllocated: number | undefined;
}

/**
 * The storage rules RDS enforces for PostgreSQL, MySQL and MariaDB (the same as issue 2's config rules):
 * size ranges per type; gp3 IOPS/throughput only from 400 GiB (12,000-64,000 IOPS, 500-4,000 MiB/s,
 * throughput:IOPS at most 0.25); io1/io2 IOPS 1,000-256,000 at 0.5-50 (io1) or 0.5-1,000 (io2) per GiB;
 * gp2 takes neither; MaxAllocatedStorage at least 110% of the allocated size.
 */
export function checkStorage(ctx: Ctx, s: StorageSpec): void {
  const { engine, storageType: type, allocated, iops, throughput } = s;
  const [min, max] =
    type === "io1" || type === "io2" ? [100, 65536] : type === "standard" ? [5, 3072] : [20, 65536];
  if (!["gp2", "gp3", "io1", "io2", "standard"].includes(type)) {
    throw ctx.err("InvalidParameterValue", `Invalid storage type: ${type}`);
  }
  if (!Number.isInteger(allocated) || allocated < min || allocated > max) {
    throw ctx.err(
      "InvalidParameterCombination",
      `Invalid storage size for engine name ${engine} and storage type ${type}: ${allocated}`,
    );
  }
  if (type === "gp3") {
    if ((iops !== undefined || throughput !== undefined) && allocated < 400) {
      throw ctx.err(
        "InvalidParameterCombination",
        `You can't specify IOPS or storage throughput for engine ${engine} and a storage size less than 400.`,
      );
    }
    if (iops !== undefined && (iops < 12000 || iops > 64000)) {
      throw ctx.err(
        "InvalidParameterCombination",
        `Invalid iops value for engine name ${engine} and storage type gp3: ${iops}`,
      );
    }
    if (throughput !== undefined && (throughput < 500 || throughput > 4000)) {
      throw ctx.err(
        "InvalidParameterCombination",
        `Invalid storage throughput value for engine name ${engine} and storage type gp3: ${throughput}`,
      );
    }
    if (throughput !== undefined && throughput / (iops ?? 12000) > 0.25) {
      throw ctx.err(
        "InvalidParameterCombination",
        `The storage throughput to IOPS ratio of ${(throughput / (iops ?? 12000)).toFixed(3)} is too high. The maximum ratio is 0.25.`,
      );
    }
  } else if (type === "io1" || type === "io2") {
    if (iops === undefined) {
      throw ctx.err("InvalidParameterCombination", `You must specify iops for storage type ${type}.`);
    }
    const perGiBMax = type === "io1" ? 50 : 1000;
    if (iops < 1000 || iops > 256000 || iops / allocated < 0.5 || iops / allocated > perGiBMax) {
      throw ctx.err(
        "InvalidParameterCombination",
        `Invalid iops to storage (GiB) ratio for engine name ${engine} and storage type ${type}: ${(iops / allocated).toFixed(4)}`,
      );
    }
    if (throughput !== undefined) {
      throw ctx.err(
        "InvalidParameterCombination",
        `You can't specify storage throughput for storage type ${type}.`,
      );
    }
  } else if (iops !== undefined || throughput !== undefined) {
    throw ctx.err(
      "InvalidParameterCombination",
      `You can't specify IOPS or storage throughput for storage type ${type}.`,
    );
  }
  checkMaxAllocated(ctx, s.maxAllocated, allocated);
}

export function checkMaxAllocated(ctx: Ctx, maxAllocated: number | undefined, allocated: number): void {
  if (maxAllocated === undefined || maxAllocated === 0) return;
  if (maxAllocated < Math.ceil((allocated * 11) / 10) || maxAllocated > 65536) {
    throw ctx.err(
      "InvalidParameterCombination",
      `Max storage size must be greater than storage size by at least 10% and at most 65536 GiB: MaxAllocatedStorage ${maxAllocated}, AllocatedStorage ${allocated}.`,
    );
  }
}

/** The key an encrypted instance or snapshot uses: the given one (must exist here) or aws/rds. */
export function resolveKmsKey(ctx: Ctx, ref: string | undefined): KmsKey {
  const key = findKey(ctx.w, ctx.region, ref ?? "alias/aws/rds");
  if (!key?.enabled) {
    throw ctx.err(
      "KMSKeyNotAccessibleFault",
      `The specified KMS key [${ref}] does not exist, is not enabled or you do not have permissions to access it.`,
    );
  }
  return key;
}

/** `hh:mm-hh:mm` (backup) or `ddd:hh:mm-ddd:hh:mm` (maintenance), at least 30 minutes long. */
export function checkWindow(ctx: Ctx, value: string | undefined, kind: "backup" | "maintenance"): void {
  if (value === undefined) return;
  const re =
    kind === "backup"
      ? /^(\d\d):(\d\d)-(\d\d):(\d\d)$/
      : /^(mon|tue|wed|thu|fri|sat|sun):(\d\d):(\d\d)-(mon|tue|wed|thu|fri|sat|sun):(\d\d):(\d\d)$/i;
  const param = kind === "backup" ? "PreferredBackupWindow" : "PreferredMaintenanceWindow";
  const m = re.exec(value);
  const span = m ? windowMinutes(value) : undefined;
  if (!m || span === undefined || span.length < 30) {
    throw ctx.err(
      "InvalidParameterValue",
      `The parameter ${param} must be in the format ${kind === "backup" ? "hh24:mi-hh24:mi" : "ddd:hh24:mi-ddd:hh24:mi"} and be at least 30 minutes.`,
    );
  }
}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** Start minute (in the week for maintenance windows, in the day for backup windows) and length. */
export function windowMinutes(value: string): { start: number; length: number; week: boolean } | undefined {
  const parts = value.toLowerCase().split("-");
  if (parts.length !== 2) return undefined;
  const toMin = (s: string) => {
    const f = s.split(":");
    if (f.length === 3) {
      const d = DAYS.indexOf(f[0]);
      if (d < 0) return Number.NaN;
      return d * 1440 + Number(f[1]) * 60 + Number(f[2]);
    }
    return Number(f[0]) * 60 + Number(f[1]);
  };
  const a = toMin(parts[0]);
  const b = toMin(parts[1]);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  const week = parts[0].includes(":") && parts[0].split(":").length === 3;
  const cycle = week ? 7 * 1440 : 1440;
  return { start: a, length: (b - a + cycle) % cycle, week };
}

/** Epoch ms of the next start of a maintenance window strictly after `now`. */
export function nextWindowStart(window: string, now: number): number {
  const w = windowMinutes(window);
  if (!w) return now + 7 * 86_400_000;
  const d = new Date(now);
  const weekStart =
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - d.getUTCDay() * 86_400_000;
  let at = weekStart + w.start * 60_000;
  while (at <= now) at += 7 * 86_400_000;
  return at;
}
