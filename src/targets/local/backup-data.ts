import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { backupDir } from "./backups.js";
import { copyDir, extractArchive } from "./fs-safe.js";
import type { Session } from "./session.js";

/**
 * Where a base backup keeps its data: a data/ directory (online backups; the first automated
 * backup of a cluster made from a cached template, hard links to it), or data.tar (the first
 * automated backup of a cluster made from a fresh initdb build: one file written before the
 * primary starts from that build, rather than a copy of its ~1,300 files; root's, 0600).
 */
export const backupArchive = (s: Session, id: string) => join(backupDir(s, id), "data.tar");

/** Copies backup `id`'s data into the new data directory `pgdata` (the server user's). */
export async function copyBackupData(s: Session, id: string, pgdata: string): Promise<void> {
  const tar = backupArchive(s, id);
  if ((await lstat(tar).catch(() => null))?.isFile()) await extractArchive(tar, pgdata, s.user);
  else await copyDir(join(backupDir(s, id), "data"), pgdata, s.user);
}
