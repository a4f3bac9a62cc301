import { execFile } from "node:child_process";
import { join } from "node:path";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Session } from "./session.js";

/**
 * `du -s -x -B1 -- paths` as root; its output even when it fails on some path (one removed
 * meanwhile). Run without fs-util's pdeathsig wrapper (checking for it costs a process): du only
 * reads, so one outliving an interrupted ebdb writes nothing.
 */
function du(paths: string[]): Promise<string> {
  return new Promise((ok) => {
    execFile("du", ["-s", "-x", "-B1", "--", ...paths], { cwd: "/", maxBuffer: 1 << 20 }, (_e, stdout) =>
      ok(String(stdout ?? "")),
    );
  });
}

/**
 * Space on disk, as `du` counts it: blocks actually used, a hard-linked file once (so snapshots
 * that share files count them once), links never followed, one file system.
 */

/** Bytes on disk under each path, in order (0 for one that does not exist). One `du` for all. */
export async function diskUsage(paths: string[]): Promise<number[]> {
  if (paths.length === 0) return [];
  const by = new Map<string, number>();
  for (const line of (await du(paths)).split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) by.set(line.slice(tab + 1), Number(line.slice(0, tab)));
  }
  return paths.map((p) => by.get(p) ?? 0);
}

/** Where the backups' total is kept (beside backups/, which holds only backups): written under the lock whenever a backup comes or goes. */
export function usageFile(s: Session): string {
  return join(s.layout.dataRoot, "backup-usage.json");
}

/**
 * Measures the space all base backups take together (shared files once) and records it, so that
 * `status` reads one small file instead of walking every backup. Called by whatever adds or removes
 * a backup, under the project's lock.
 */
export async function recordBackupUsage(s: Session): Promise<number> {
  const bytes = Number((await du([s.layout.backupsDir])).split("\t")[0]) || 0;
  await writeFileMode(usageFile(s), `${JSON.stringify({ bytes, at: new Date().toISOString() })}\n`, 0o600);
  return bytes;
}

/** The space base backups take as last recorded; null when never recorded (or unreadable). */
export async function recordedBackupUsage(s: Session): Promise<number | null> {
  try {
    const u = JSON.parse((await readFileSafe(usageFile(s))) ?? "null") as { bytes?: unknown } | null;
    if (u && typeof u.bytes === "number") return u.bytes;
  } catch {
    // unreadable: measure
  }
  return null;
}

/**
 * Bytes under each of `paths` and the space base backups take, with one `du` for all: the backups'
 * as recorded, measured with the rest (not recorded: status changes nothing) when never recorded.
 */
export async function usageWithBackups(
  s: Session,
  paths: string[],
): Promise<{ sizes: number[]; backups: number }> {
  const recorded = await recordedBackupUsage(s);
  const sizes = await diskUsage(recorded === null ? [...paths, s.layout.backupsDir] : paths);
  return { sizes: sizes.slice(0, paths.length), backups: recorded ?? sizes[paths.length] };
}
