import { availableParallelism } from "node:os";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { findTool } from "./compressor.js";
import { PREFETCH_DIR, type RecoveryTarget } from "./conf.js";
import { ensureDir, removeTree } from "./fs-safe.js";
import { run } from "./fs-util.js";
import type { ServerUser } from "./server-user.js";

const SEGMENT = /^([0-9A-F]{24})(\.zst|\.gz)?$/;

/** At most this many segments are unpacked ahead (512 MiB of 16 MiB segments); restore_command fetches the rest. */
export const PREFETCH_MAX = 32;

/**
 * The archived segments a point-in-time recovery from a base that starts at `startWal` replays, in
 * order, by the archive's file names and times: those of the base's timeline from `startWal` on that
 * were archived up to the target time, and the first archived after it (it holds the target's
 * records); for the latest, all of them; none for a snapshot's own end (its WAL is in the copy).
 * At most PREFETCH_MAX. Pure.
 */
export function segmentsToPrefetch(
  archive: { name: string; mtimeMs: number }[],
  startWal: string,
  target: RecoveryTarget,
): { file: string; segment: string }[] {
  if (target.kind !== "time" && target.kind !== "latest") return [];
  const until = target.kind === "time" ? Date.parse(target.time) : Number.POSITIVE_INFINITY;
  const timeline = startWal.slice(0, 8);
  const out: { file: string; segment: string }[] = [];
  const sorted = archive
    .map((a) => ({ ...a, m: SEGMENT.exec(a.name) }))
    .filter((a) => a.m && a.m[1] >= startWal && a.m[1].startsWith(timeline))
    .sort((a, b) => (a.m![1] < b.m![1] ? -1 : 1));
  for (const a of sorted) {
    const segment = a.m![1];
    if (out.some((o) => o.segment === segment)) continue;
    out.push({ file: a.name, segment });
    if (a.mtimeMs > until || out.length >= PREFETCH_MAX) break;
  }
  return out;
}

/**
 * Unpacks the archived segments a point-in-time restore will replay into the new data directory's
 * PREFETCH_DIR before its server starts, as the server's user, two at a time (each into a temporary
 * name, then renamed: a segment is whole or absent). The restore_command then only renames each into
 * place, so replay does not wait for a decompression per segment; what is not there (past
 * PREFETCH_MAX, or a failure) it still fetches from the archive. Returns how many.
 */
export async function prefetchSegments(
  archiveDir: string,
  pgdata: string,
  startWal: string,
  target: RecoveryTarget,
  user: ServerUser,
): Promise<number> {
  if (!startWal) return 0;
  const names = await readdir(archiveDir).catch(() => [] as string[]);
  const archive = await Promise.all(
    names
      .filter((n) => SEGMENT.test(n))
      .map(async (name) => ({ name, mtimeMs: (await stat(join(archiveDir, name))).mtimeMs })),
  );
  const todo = segmentsToPrefetch(archive, startWal, target);
  if (todo.length === 0) return 0;
  // Its own folder, not pg_wal itself: pg_wal may hold an older, partial copy of a segment (a cold
  // base's), which PostgreSQL must not read instead of the archived one.
  const walDir = join(pgdata, PREFETCH_DIR);
  await ensureDir(walDir, 0o700, user);
  const zstd = findTool("zstd");
  const gzip = findTool("gzip");
  let done = 0;
  const one = async ({ file, segment }: { file: string; segment: string }) => {
    const src = join(archiveDir, file);
    const tmp = join(walDir, `${segment}.ebdb-prefetch`);
    const unpack = file.endsWith(".zst")
      ? zstd && `"${zstd}" -q -d -f -o "$2" -- "$1"`
      : file.endsWith(".gz")
        ? gzip && `"${gzip}" -dc -- "$1" > "$2"`
        : `cp -- "$1" "$2"`;
    if (!unpack) return;
    const r = await run(
      "sh",
      ["-c", `${unpack} && mv -f -- "$2" "$3"`, "sh", src, tmp, join(walDir, segment)],
      {
        user,
        allowFailure: true,
      },
    );
    if (r.code === 0) done++;
  };
  const queue = [...todo];
  const workers = Array.from({ length: Math.min(2, availableParallelism()) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await one(next);
  });
  await Promise.all(workers);
  return done;
}

/** Removes what prefetchSegments left (segments past the recovery target), once the restore is promoted. */
export async function dropPrefetched(pgdata: string, user: ServerUser): Promise<void> {
  await removeTree(join(pgdata, PREFETCH_DIR), user);
}
