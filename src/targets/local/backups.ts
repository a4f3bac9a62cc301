import * as fs from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { userError } from "../../errors.js";
import type { BackupInfo } from "../target.js";
import { copyEntries, ensureDir, readFileSafe, removeTree, writeFileMode } from "./fs-safe.js";
import { CLOCK_MARGIN_MS, type SharedBase, sharedCopy } from "./backup-copy.js";
import { faultPoint } from "./fault.js";
import { recordBackupUsage } from "./disk-usage.js";
import { dirSize } from "./fs-util.js";
import { passMode, pgdataOf, safeName } from "./layout.js";
import type { NodeMeta } from "./meta.js";
import type { ServerUser } from "./server-user.js";
import type { Session } from "./session.js";
import { requireRunningPrimary } from "./settings.js";

/**
 * A base backup (backups/<id>/backup.json beside its data/ directory). Online backups are taken
 * with pg_backup_start/pg_backup_stop and hold the WAL they need, so a snapshot restores on its
 * own; the first automated backup is a cold copy of the new cluster, consistent at `consistentLsn`.
 */
export interface BackupMeta {
  id: string;
  kind: "automated" | "manual";
  method: "online" | "cold";
  status: "creating" | "available";
  /** When the backup became consistent: the earliest time it restores to. */
  createdAt: string;
  startWal: string;
  consistentLsn: string;
  sizeBytes: number | null;
  pgVersion: string;
  /** When the copy started reading (online backups since issue 13): what a later one may share. */
  copyStartedAt?: string;
  /** Bytes of relation files shared (hard-linked) with the previous backup rather than copied. */
  sharedBytes?: number;
}

/** Top-level data-directory entries a copy leaves out (recreated empty when they are directories). */
const SKIP_FILES = [
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_label.old",
  "current_logfiles",
  "standby.signal",
  "recovery.signal",
];
const EMPTY_DIRS = [
  "pg_wal",
  "pg_replslot",
  "pg_stat_tmp",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
];

export function backupDir(s: Session, id: string): string {
  return join(s.layout.backupsDir, safeName(id));
}

export async function readBackup(s: Session, id: string): Promise<BackupMeta | null> {
  try {
    const b = JSON.parse(
      (await readFileSafe(join(backupDir(s, id), "backup.json"))) ?? "null",
    ) as BackupMeta | null;
    return b && b.id === id ? b : null;
  } catch {
    return null;
  }
}

/** Writes a backup's record (root's, in a root-owned folder: its data/ alone is the server's). */
export async function writeBackup(s: Session, b: BackupMeta): Promise<void> {
  await ensureDir(backupDir(s, b.id), passMode(s.user));
  await writeFileMode(join(backupDir(s, b.id), "backup.json"), `${JSON.stringify(b, null, 2)}\n`, 0o600);
}

/** Every backup, oldest first (including interrupted ones, status creating). */
export async function listBackups(s: Session): Promise<BackupMeta[]> {
  let ids: string[];
  try {
    ids = await fs.readdir(s.layout.backupsDir);
  } catch {
    return [];
  }
  const all = (
    await Promise.all(ids.filter((id) => /^[A-Za-z][A-Za-z0-9-]*$/.test(id)).map((id) => readBackup(s, id)))
  ).filter((b): b is BackupMeta => b !== null);
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export function toBackupInfo(b: BackupMeta): BackupInfo {
  return { id: b.id, kind: b.kind, createdAt: b.createdAt, sizeBytes: b.sizeBytes, status: b.status };
}

export interface CopyResult {
  /** When the copy started reading, after the backup's checkpoint (ms since the epoch). */
  copyStartedAt: number;
  /** Bytes shared with `share`'s backup (0 without one). */
  sharedBytes: number;
  startLsn: string;
  startWal: string;
  stopLsn: string;
  stopWal: string;
  stopAt: Date;
}

/** Creates the directories a copy of a data directory leaves out. */
export async function createEmptyDirs(pgdata: string, user: ServerUser): Promise<void> {
  for (const d of EMPTY_DIRS) await ensureDir(join(pgdata, d), 0o700, user);
  await ensureDir(join(pgdata, "pg_wal", "archive_status"), 0o700, user);
}

/**
 * A consistent copy of a running primary's data directory into `dest`, by the low-level backup API
 * on one connection: pg_backup_start, a file copy, pg_backup_stop, and the backup_label (and
 * tablespace_map) it returns written into the copy. With `withWal`, the WAL from start to stop is
 * copied too, so the copy needs no archive to become consistent. With `share` (only for a backup,
 * which nobody writes to: never a data directory a server will run), relation files unchanged since
 * that backup's copy are hard links to it (see backup-copy.ts).
 */
export async function onlineCopy(
  s: Session,
  primary: NodeMeta,
  dest: string,
  opts: { label: string; withWal: boolean; share?: SharedBase | null },
): Promise<CopyResult> {
  const src = pgdataOf(s.layout, primary.name);
  return s.withAdmin(primary.port, "postgres", async (c: pg.Client) => {
    const start = (
      await c.query<{ lsn: string; wal: string }>(
        "SELECT lsn::text, pg_walfile_name(lsn) AS wal FROM pg_backup_start($1, true) AS lsn",
        [opts.label.slice(0, 1000)],
      )
    ).rows[0];
    const names = (await fs.readdir(src)).filter((n) => !SKIP_FILES.includes(n) && !EMPTY_DIRS.includes(n));
    // For a backup, the checkpoint's writes just before get times a few clock ticks older than the
    // copy's start, so the next backup may share those files too.
    if (opts.share !== undefined) await new Promise((r) => setTimeout(r, CLOCK_MARGIN_MS + 10));
    const copyStartedAt = Date.now();
    let sharedBytes = 0;
    // Nothing to share with: one `cp -a` of the whole tree (faster than file by file).
    if (!opts.share) await copyEntries(src, dest, names, s.user, { tolerateVanished: true });
    else sharedBytes = (await sharedCopy(src, dest, names, s.user, opts.share)).sharedBytes;
    await createEmptyDirs(dest, s.user);
    const stop = (
      await c.query<{ lsn: string; labelfile: string; spcmapfile: string | null; wal: string; at: Date }>(
        "SELECT lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn) AS wal, clock_timestamp() AS at FROM pg_backup_stop(false)",
      )
    ).rows[0];
    if (opts.withWal) {
      const wal = (await fs.readdir(join(src, "pg_wal"))).filter(
        (f) => /^[0-9A-F]{24}$/.test(f) && f >= start.wal && f <= stop.wal,
      );
      await copyEntries(join(src, "pg_wal"), join(dest, "pg_wal"), wal, s.user);
    }
    await writeFileMode(join(dest, "backup_label"), stop.labelfile, 0o600, s.user);
    if (stop.spcmapfile) await writeFileMode(join(dest, "tablespace_map"), stop.spcmapfile, 0o600, s.user);
    return {
      copyStartedAt,
      sharedBytes,
      startLsn: start.lsn,
      startWal: start.wal,
      stopLsn: stop.lsn,
      stopWal: stop.wal,
      stopAt: stop.at,
    };
  });
}

const ID_RE = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/;

/** A snapshot id as RDS accepts them: letters, digits and single hyphens, starting with a letter. */
export function checkSnapshotId(id: string): void {
  if (!ID_RE.test(id) || id.endsWith("-") || id.length > 255) {
    throw userError(
      "BAD_SNAPSHOT_ID",
      `"${id}" is not a valid snapshot id.`,
      "Use 1-255 letters, digits and single hyphens, starting with a letter and not ending with a hyphen.",
    );
  }
}

/** `<identifier>-<yyyymmddHHMMSS>` (UTC). */
export function stampedId(identifier: string, now = new Date()): string {
  return `${identifier}-${now.toISOString().replace(/[-:T]/g, "").slice(0, 14)}`;
}

/**
 * A new backup's id: the given one, or `<identifier>-<yyyymmddHHMMSS>` for a manual snapshot and
 * `<identifier>-auto-<yyyymmddHHMMSS>` for an automated backup, with -2, -3... when that second is taken.
 */
export async function newBackupId(s: Session, kind: "automated" | "manual"): Promise<string> {
  const base = stampedId(kind === "automated" ? `${s.config.identifier}-auto` : s.config.identifier);
  let id = base;
  for (let n = 2; await readBackup(s, id); n++) id = `${base}-${n}`;
  return id;
}

/** Takes an online base backup of the running primary. */
export async function takeBackup(s: Session, id: string, kind: "automated" | "manual"): Promise<BackupMeta> {
  checkSnapshotId(id);
  if (await readBackup(s, id)) {
    throw userError(
      "SNAPSHOT_EXISTS",
      `A snapshot named ${id} exists already.`,
      "Choose another id, or delete that one first.",
    );
  }
  const primary = await requireRunningPrimary(s, "a snapshot");
  const bins = await s.binaries();
  const meta: BackupMeta = {
    id,
    kind,
    method: "online",
    status: "creating",
    createdAt: new Date().toISOString(),
    startWal: "",
    consistentLsn: "",
    sizeBytes: null,
    pgVersion: bins.version,
  };
  await writeBackup(s, meta);
  faultPoint("snapshot:recorded");
  const data = join(backupDir(s, id), "data");
  const share = await shareBase(s, bins.version);
  const r = await onlineCopy(s, primary, data, { label: `ebdb ${id}`, withWal: true, share }).catch(
    async (e) => {
      // A failed copy (a full disk, the primary gone) is removed at once: it would only take space.
      await removeTree(backupDir(s, id), s.user).catch(() => {});
      throw e;
    },
  );
  faultPoint("snapshot:copied");
  const done: BackupMeta = {
    ...meta,
    status: "available",
    createdAt: r.stopAt.toISOString(),
    startWal: r.startWal,
    consistentLsn: r.stopLsn,
    sizeBytes: await dirSize(data),
    copyStartedAt: new Date(r.copyStartedAt).toISOString(),
    sharedBytes: r.sharedBytes,
  };
  await writeBackup(s, done);
  await recordBackupUsage(s);
  return done;
}

/**
 * The backup a new one shares unchanged files with: the newest complete online backup of the same
 * PostgreSQL version that recorded when its copy started (its files are the server user's; a cold
 * backup's are links to the root-owned template, which the server user may not link).
 */
async function shareBase(s: Session, pgVersion: string): Promise<SharedBase | null> {
  const b = (await listBackups(s))
    .filter(
      (x) =>
        x.status === "available" && x.method === "online" && x.copyStartedAt && x.pgVersion === pgVersion,
    )
    .at(-1);
  return b ? { data: join(backupDir(s, b.id), "data"), copyStartedAt: Date.parse(b.copyStartedAt!) } : null;
}

/** Deletes a backup; a clear error when it does not exist. */
export async function deleteBackup(s: Session, id: string): Promise<void> {
  if (!(await readBackup(s, id))) {
    const ids = (await listBackups(s)).map((b) => b.id);
    throw userError(
      "SNAPSHOT_NOT_FOUND",
      `There is no snapshot ${id}.`,
      ids.length
        ? `Snapshots: ${ids.join(", ")}.`
        : "There are no snapshots (ebdb snapshot create takes one).",
    );
  }
  await removeTree(backupDir(s, id), s.user);
  await recordBackupUsage(s);
}

/** The oldest WAL segment any kept backup needs (null: keep everything). */
function walFloor(backups: BackupMeta[]): string | null {
  const usable = backups.filter((b) => b.status === "available" && b.startWal);
  const automated = usable.filter((b) => b.kind === "automated");
  const pool = automated.length ? automated : usable;
  if (pool.length === 0) return null;
  return pool.map((b) => b.startWal).sort()[0];
}

/** The backups point-in-time restore can start from: those whose WAL the archive still holds, oldest first. */
export function pitrBases(backups: BackupMeta[]): BackupMeta[] {
  const floor = walFloor(backups);
  return backups.filter(
    (b) => b.status === "available" && b.startWal && floor !== null && b.startWal >= floor,
  );
}

/**
 * Retention: automated backups older than DB_BACKUP_RETENTION_DAYS go, except the newest of them
 * (the base the window starts from); then archived WAL older than what the oldest kept backup needs.
 * Manual snapshots stay until deleted. Interrupted backups (status creating) are removed. `dayMs`:
 * a day's length (the backup agent's tests shorten it).
 */
export async function expireBackups(s: Session, now = new Date(), dayMs = 86_400_000): Promise<string[]> {
  const retention = s.config.backup.retentionDays;
  const removed: string[] = [];
  let backups = await listBackups(s);
  for (const b of backups.filter((x) => x.status === "creating")) {
    await removeTree(backupDir(s, b.id), s.user);
    removed.push(b.id);
  }
  backups = backups.filter((b) => b.status === "available");
  if (retention <= 0) {
    if (removed.length) await recordBackupUsage(s);
    return removed;
  }
  const cutoff = now.getTime() - retention * dayMs;
  const automated = backups.filter((b) => b.kind === "automated");
  const old = automated.filter((b) => Date.parse(b.createdAt) <= cutoff);
  // Keep the newest old one: the window [now - retention, now] starts from it.
  for (const b of old.slice(0, -1)) {
    await removeTree(backupDir(s, b.id), s.user);
    removed.push(b.id);
  }
  const kept = backups.filter((b) => !removed.includes(b.id));
  const floor = walFloor(kept);
  if (floor !== null) {
    let files: string[] = [];
    try {
      files = await fs.readdir(s.layout.archiveDir);
    } catch {
      // no archive yet
    }
    for (const f of files) {
      const seg = f.slice(0, 24);
      if (/^[0-9A-F]{24}/.test(f) && !f.endsWith(".history") && seg < floor)
        await fs.rm(join(s.layout.archiveDir, f), { force: true });
    }
  }
  if (removed.length) await recordBackupUsage(s);
  return removed;
}
