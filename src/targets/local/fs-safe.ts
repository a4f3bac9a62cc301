import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import * as fs from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { systemError } from "../../errors.js";
import { canTraverse, run } from "./fs-util.js";
import type { ServerUser } from "./server-user.js";

/**
 * File operations that stay safe when ebdb runs as root beside servers run by an unprivileged user.
 *
 * The rule: root creates, writes, chowns and deletes only through directories that root owns, and
 * never follows a symbolic link that the server user could have planted. Inside a directory the
 * server user owns (a data directory, the WAL archive) root only creates new files (O_EXCL, no
 * follow) and renames within it; copies out of and deletions inside such trees run as the server
 * user, so the worst it can make them do is act on its own files.
 */

const NOFOLLOW = fsc.O_NOFOLLOW ?? 0;
const DIRECTORY = fsc.O_DIRECTORY ?? 0;

function refused(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ELOOP" || code === "ENOTDIR")
    return systemError(
      "UNSAFE_PATH",
      `${path} is a symbolic link or not a directory where ebdb expects its own file: refusing to follow it.`,
      "Something other than ebdb changed this folder. Inspect it, remove the link, and run the command again.",
      e,
    );
  return e as Error;
}

/** Throws unless `path` lies strictly inside `root` (both resolved): a guard before deleting or writing a path read from state. */
export function assertUnder(root: string, path: string): void {
  const rel = relative(resolve(root), resolve(path));
  if (rel === "" || rel.startsWith("..") || rel.startsWith(sep) || resolve(path) !== join(resolve(root), rel))
    throw systemError("UNSAFE_PATH", `${path} is not inside ${root}: refusing to act on it.`);
}

/**
 * Creates a directory (and missing parents) and sets its mode and, when `owner` switches user, its
 * owner — through a descriptor opened without following links, so a link planted in its place is
 * refused rather than chowned.
 */
export async function ensureDir(path: string, mode: number, owner?: ServerUser): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o755 }).catch(() => {});
  try {
    await fs.mkdir(path, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  let h: fs.FileHandle;
  try {
    h = await fs.open(path, fsc.O_RDONLY | DIRECTORY | NOFOLLOW);
  } catch (e) {
    throw refused(path, e);
  }
  try {
    await h.chmod(mode);
    if (owner?.switchUser) await h.chown(owner.uid, owner.gid);
  } finally {
    await h.close();
  }
}

/**
 * Writes a file atomically with `mode` (whatever the umask), owned by `owner` when it switches user:
 * a new file (exclusive, no link followed) beside it, then a rename over it. Safe in a directory the
 * server user owns: an existing link at `path` is replaced, never written through.
 */
export async function writeFileMode(
  path: string,
  data: string | Uint8Array,
  mode: number,
  owner?: ServerUser,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const h = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | NOFOLLOW, mode);
  try {
    await h.chmod(mode);
    if (owner?.switchUser) await h.chown(owner.uid, owner.gid);
    await h.writeFile(data);
  } catch (e) {
    await h.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  } finally {
    await h.close().catch(() => {});
  }
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads a regular text file without following a link at its last component, and without waiting
 * on a FIFO planted in its place (opened non-blocking, then checked); null when it does not exist.
 */
export async function readFileSafe(path: string): Promise<string | null> {
  let h: fs.FileHandle;
  try {
    h = await fs.open(path, fsc.O_RDONLY | NOFOLLOW | (fsc.O_NONBLOCK ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw refused(path, e);
  }
  try {
    if (!(await h.stat()).isFile()) throw refused(path, Object.assign(new Error(), { code: "ELOOP" }));
    return await h.readFile("utf8");
  } finally {
    await h.close();
  }
}

/** Opens a file for appending (a server's log), creating it with `mode`; refuses a link in its place. */
export async function openAppend(path: string, mode: number): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | NOFOLLOW, mode);
  } catch (e) {
    throw refused(path, e);
  }
}

/**
 * Removes a tree; a missing one is fine. Never follows a link. A directory the server user owns is
 * emptied by `rm -rf` running as that user (so a link or a swap planted inside can only make it
 * delete its own files), then removed by root; anything else by GNU `rm -rf` as root.
 */
export async function removeTree(path: string, user?: ServerUser): Promise<void> {
  let st: import("node:fs").Stats;
  try {
    st = await fs.lstat(path);
  } catch {
    return;
  }
  if (!st.isDirectory()) {
    await fs.rm(path, { force: true });
    return;
  }
  const asRoot = process.getuid?.() === 0;
  // A folder the server user owns and can reach: it empties it. One it cannot reach, it cannot
  // have planted anything in either: root walks it.
  if (asRoot && user?.switchUser && st.uid === user.uid && (await canTraverse(path, user))) {
    // Its contents as the server user; the directory itself (in a root-owned parent) stays for root.
    await run("sh", ["-c", 'cd -- "$1" && exec rm -rf -- ./* ./.[!.]* ./..?*', "sh", path], {
      user,
      allowFailure: true,
    });
    await fs.rmdir(path).catch(async (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      // What it could not remove is not its own (a copy cut short while being handed over): GNU rm
      // as root walks by descriptors and never follows a link, so it finishes the job safely.
      if (code === "ENOTEMPTY") {
        const r = await run("rm", ["-rf", "--one-file-system", "--", path], { allowFailure: true });
        if (r.code === 0) return;
      }
      throw systemError("REMOVE_FAILED", `Could not remove ${path}: ${(e as Error).message}`);
    });
    return;
  }
  if (!asRoot) {
    await fs.rm(path, { recursive: true, force: true, maxRetries: 3 });
    return;
  }
  // GNU rm walks by descriptors and never follows a link (safe for root), and is far faster than
  // a walk in Node over a data directory's thousand files.
  const r = await run("rm", ["-rf", "--one-file-system", "--", path], { allowFailure: true });
  if (r.code !== 0) throw systemError("REMOVE_FAILED", `Could not remove ${path}: ${r.stderr.trim()}`);
}

/**
 * Copies the entries `names` of directory `src` into directory `dst` (created, owned by the server
 * user), preserving modes. A tree the server user owns is copied as that user (root never reads
 * through its links); a tree it cannot have touched (the initdb template, a cold backup) is copied
 * by root into `dst` while `dst` is still root's, then handed over. Uses `cp -a` (several times
 * faster than a copy in Node for a data directory's thousand small files). With `tolerateVanished`,
 * files that disappear while copying (a live data directory) are not an error. With `link`, files
 * are hard links (only for trees nobody writes to, such as a template and a backup made from it),
 * falling back to a copy.
 */
export async function copyEntries(
  src: string,
  dst: string,
  names: string[],
  user: ServerUser,
  opts: { tolerateVanished?: boolean; link?: boolean } = {},
): Promise<void> {
  const srcStat = await fs.lstat(src);
  if (!srcStat.isDirectory()) throw refused(src, Object.assign(new Error(), { code: "ENOTDIR" }));
  const asServer = !user.switchUser || srcStat.uid === user.uid;
  if (!asServer) {
    // Root writes only into a fresh directory of its own, handed over at the end, so the server user
    // cannot plant anything in it while root copies.
    await removeTree(dst, user);
    await fs.mkdir(dst, { mode: 0o700 });
  } else await ensureDir(dst, 0o700, user);
  if (names.length === 0) return;
  const r = await run("cp", [opts.link ? "-al" : "-a", "--", ...names.map((n) => join(src, n)), `${dst}/`], {
    user: asServer ? user : undefined,
    allowFailure: true,
  });
  if (r.code !== 0) {
    if (opts.link) {
      // Hard links are impossible here (another file system...): start over with a real copy. The
      // partial tree goes first: copying onto a hard link would write through it into the source.
      await removeTree(dst, user);
      return copyEntries(src, dst, names, user, { ...opts, link: false });
    }
    const bad = r.stderr
      .split("\n")
      .filter((l) => l.trim() !== "")
      .filter((l) => !(opts.tolerateVanished && /No such file or directory/.test(l)));
    if (bad.length > 0) throw copyFailed(src, dst, bad);
  }
  // Hard links share their inodes with the source: chowning them would give the source away too.
  // Such a tree stays read-only to the server, and restores copy it.
  if (!asServer && !opts.link) await chownTree(dst, user);
}

function copyFailed(src: string, dst: string, lines: string[]): Error {
  const full = lines.some((l) => /No space left on device/.test(l));
  return systemError(
    full ? "DISK_FULL" : "COPY_FAILED",
    full
      ? `The disk is full: copying ${src} to ${dst} ran out of space.`
      : `Copying ${src} to ${dst} failed: ${lines.slice(0, 3).join("; ")}`,
    full ? "Free some space (df -h shows where), then run the command again." : undefined,
  );
}

/**
 * Gives a tree that root made (and nobody else could write) to the server user; links are not
 * followed. The top folder goes last: until it is the server's, the server user cannot reach
 * anything inside, so a tree left half-given by an interruption is still root's to remove.
 */
export async function chownTree(path: string, user: ServerUser): Promise<void> {
  if (!user.switchUser) return;
  const owner = `${user.uid}:${user.gid}`;
  const entries = (await fs.readdir(path)).map((n) => join(path, n));
  if (entries.length) await run("chown", ["-R", "-P", owner, "--", ...entries]);
  await fs.lchown(path, user.uid, user.gid);
}

/** Copies a whole directory tree (see copyEntries). */
export async function copyDir(
  src: string,
  dst: string,
  user: ServerUser,
  opts: { exclude?: string[]; link?: boolean } = {},
): Promise<void> {
  const names = (await fs.readdir(src)).filter((n) => !opts.exclude?.includes(n));
  await copyEntries(src, dst, names, user, { link: opts.link });
}

/**
 * Writes the tree `src` (one nobody but root and the template user can write, e.g. a fresh initdb
 * build, shut down cleanly) into the tar file `file` (root's, 0600), whole or not at all (written
 * beside it, then renamed). One file instead of a copy's thousand: on a busy disk creating files is
 * what a data directory's copy costs. Links are stored as links, never followed.
 */
export async function archiveTree(src: string, file: string): Promise<number> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const r = await run("tar", ["-cf", tmp, "-C", src, "."], { allowFailure: true });
  if (r.code !== 0) {
    await fs.rm(tmp, { force: true });
    throw copyFailed(
      src,
      file,
      r.stderr.split("\n").filter((l) => l.trim() !== ""),
    );
  }
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
  return (await fs.stat(file)).size;
}

/**
 * Unpacks a tar file that archiveTree wrote into `dst` for the server user: root unpacks into a
 * fresh folder of its own (owners not taken from the archive), then hands it over (chownTree), as
 * copyEntries does with a tree the server user cannot have touched.
 */
export async function extractArchive(file: string, dst: string, user: ServerUser): Promise<void> {
  await removeTree(dst, user);
  await fs.mkdir(dst, { mode: 0o700 });
  const r = await run("tar", ["-xf", file, "-C", dst, "--no-same-owner"], { allowFailure: true });
  if (r.code !== 0)
    throw copyFailed(
      file,
      dst,
      r.stderr.split("\n").filter((l) => l.trim() !== ""),
    );
  await fs.chmod(dst, 0o700);
  await chownTree(dst, user);
}
