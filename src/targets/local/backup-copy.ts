import { systemError } from "../../errors.js";
import { ensureDir } from "./fs-safe.js";
import { run } from "./fs-util.js";
import type { ServerUser } from "./server-user.js";

/**
 * Snapshots that share what did not change: a relation file (under base/ or global/) that is the
 * same as in the previous snapshot becomes a hard link to that snapshot's copy instead of a new
 * copy. Deleting either snapshot then only drops a link; restores always copy (never link), so no
 * server ever writes into a snapshot's file.
 *
 * "The same" is judged by size and modification time (to the nanosecond, as `cp -a` keeps it), and
 * only for files whose time is older than the previous copy's start by more than the clock's
 * granularity. PostgreSQL changes a relation file only by write(), fallocate() or ftruncate(),
 * each of which sets its modification time to the present; so a file last written before the
 * previous copy began, and not written since (same time), holds exactly what that copy read. A
 * file written during or after that copy has a later time than the copy recorded, and is copied.
 * (File times come from the kernel's coarse clock, at most a tick — 10 ms at HZ=100 — behind the
 * real one; the margin is several ticks.)
 */
export interface SharedBase {
  /** The previous snapshot's copy of the data directory. */
  data: string;
  /** When that copy started reading (ms since the epoch, Date.now()). */
  copyStartedAt: number;
}

/** A file time older than the previous copy's start by at least this much is trusted (ms). */
export const CLOCK_MARGIN_MS = 50;

export interface Entry {
  /** find's %y: f (file), d (directory), l (link)... */
  type: string;
  size: number;
  /** find's %T@: seconds since the epoch with the fraction, kept as text for exact comparison. */
  mtime: string;
  path: string;
}

/** Parses `find -printf '%y %s %T@ %p\0'` output (paths may hold spaces, never NUL). */
export function parseEntries(out: string): Entry[] {
  const entries: Entry[] = [];
  for (const rec of out.split("\0")) {
    if (!rec) continue;
    const m = /^(\S) (\d+) (\S+) (.+)$/s.exec(rec);
    if (m) entries.push({ type: m[1], size: Number(m[2]), mtime: m[3], path: m[4] });
  }
  return entries;
}

/** Whether a path is a relation file's (the only files shared): under base/ or global/, not pg_control. */
function shareable(path: string): boolean {
  return (path.startsWith("base/") || path.startsWith("global/")) && path !== "global/pg_control";
}

/**
 * Which entries of the source to create as directories, copy, or link from the previous copy.
 * Pure: `src` and `prev` are the two trees' listings (paths relative to their roots).
 */
export function planSharedCopy(
  src: Entry[],
  prev: Entry[],
  copyStartedAt: number | null,
): { dirs: string[]; copy: string[]; link: string[] } {
  const before = new Map(prev.filter((e) => e.type === "f").map((e) => [e.path, e]));
  const dirs: string[] = [];
  const copy: string[] = [];
  const link: string[] = [];
  for (const e of src) {
    if (e.type === "d") {
      dirs.push(e.path);
      continue;
    }
    const p = before.get(e.path);
    const same =
      copyStartedAt !== null &&
      e.type === "f" &&
      shareable(e.path) &&
      p !== undefined &&
      p.size === e.size &&
      p.mtime === e.mtime &&
      Number(e.mtime) * 1000 < copyStartedAt - CLOCK_MARGIN_MS;
    (same ? link : copy).push(e.path);
  }
  return { dirs, copy, link };
}

const nul = (xs: string[]) => Buffer.from(xs.map((x) => `${x}\0`).join(""));

/** Lists `names` under `root` as the server user (never following a link), tolerating vanished files. */
async function list(root: string, names: string[], user: ServerUser): Promise<Entry[]> {
  if (names.length === 0) return [];
  const r = await run(
    "sh",
    ["-c", 'cd -- "$1" && shift && exec find "$@" -printf "%y %s %T@ %p\\0"', "sh", root, ...names],
    { user, allowFailure: true },
  );
  const bad = r.stderr.split("\n").filter((l) => l.trim() && !/No such file or directory/.test(l));
  if (r.code !== 0 && bad.length) throw copyFailed(root, bad);
  return parseEntries(r.stdout);
}

/** Runs `xargs -0 <cmd...>` in `cwd` as the server user over `paths` (NUL-separated on its stdin). */
async function xargs(cwd: string, paths: string[], cmd: string[], user: ServerUser) {
  if (paths.length === 0) return { code: 0, stderr: "" };
  return run("sh", ["-c", 'cd -- "$1" && shift && exec xargs -0 -r "$@"', "sh", cwd, ...cmd], {
    user,
    allowFailure: true,
    input: nul(paths),
  });
}

function copyFailed(where: string, lines: string[]): Error {
  const full = lines.some((l) => /No space left on device/.test(l));
  return systemError(
    full ? "DISK_FULL" : "COPY_FAILED",
    full
      ? `The disk is full: copying ${where} ran out of space.`
      : `Copying ${where} failed: ${lines.slice(0, 3).join("; ")}`,
    full ? "Free some space (df -h shows where), then run the command again." : undefined,
  );
}

/**
 * Copies the entries `names` of a data directory `src` (the server user's) into `dst` as the
 * server user, hard-linking the relation files unchanged since `base` was copied (see SharedBase).
 * Files that vanish while copying (a live data directory) are not an error. Returns the bytes
 * copied and the bytes shared.
 */
export async function sharedCopy(
  src: string,
  dst: string,
  names: string[],
  user: ServerUser,
  base: SharedBase | null,
): Promise<{ copiedBytes: number; sharedBytes: number }> {
  await ensureDir(dst, 0o700, user);
  const [now, prev] = await Promise.all([
    list(src, names, user),
    base ? list(base.data, ["base", "global"], user).catch(() => []) : Promise.resolve([]),
  ]);
  const plan = planSharedCopy(now, prev, base?.copyStartedAt ?? null);
  const sizes = new Map(now.map((e) => [e.path, e.size]));
  const sum = (xs: string[]) => xs.reduce((a, p) => a + (sizes.get(p) ?? 0), 0);
  // Directories first (find lists parents before children), then new copies and links beside them.
  const mk = await xargs(dst, plan.dirs, ["mkdir", "-p", "-m", "700", "--"], user);
  if (mk.code !== 0)
    throw copyFailed(
      src,
      mk.stderr.split("\n").filter((l) => l.trim()),
    );
  const [cp, ln] = await Promise.all([
    xargs(src, plan.copy, ["cp", "-a", "--parents", "-t", dst, "--"], user),
    base ? xargs(base.data, plan.link, ["cp", "-al", "--parents", "-t", dst, "--"], user) : null,
  ]);
  const cpBad = cp.stderr.split("\n").filter((l) => l.trim() && !/No such file or directory/.test(l));
  if (cp.code !== 0 && cpBad.length) throw copyFailed(src, cpBad);
  if (ln && ln.code !== 0) {
    // Links refused (another file system, a file gone from the previous snapshot): copy those
    // instead, replacing any link made (never writing through one into the other snapshot).
    const again = await xargs(
      src,
      plan.link,
      ["cp", "-a", "--remove-destination", "--parents", "-t", dst, "--"],
      user,
    );
    const bad = again.stderr.split("\n").filter((l) => l.trim() && !/No such file or directory/.test(l));
    if (again.code !== 0 && bad.length) throw copyFailed(src, bad);
    return { copiedBytes: sum(plan.copy) + sum(plan.link), sharedBytes: 0 };
  }
  return { copiedBytes: sum(plan.copy), sharedBytes: sum(plan.link) };
}
