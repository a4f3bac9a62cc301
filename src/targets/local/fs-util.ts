import { spawn } from "node:child_process";
import { constants as fsc } from "node:fs";
import * as fs from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { systemError } from "../../errors.js";
import { asServer, type ServerUser } from "./server-user.js";

/** Whether `user` may traverse (search) every directory from / down to `path` inclusive. */
export async function canTraverse(path: string, user: ServerUser): Promise<boolean> {
  if (!user.switchUser) return true;
  let p = resolve(path);
  for (;;) {
    let st: import("node:fs").Stats;
    try {
      st = await fs.stat(p);
    } catch {
      // Not created yet: what matters is its parent.
      const parent = dirname(p);
      if (parent === p) return true;
      p = parent;
      continue;
    }
    const bits =
      st.uid === user.uid ? (st.mode >> 6) & 7 : st.gid === user.gid ? (st.mode >> 3) & 7 : st.mode & 7;
    if ((bits & 1) === 0) return false;
    const parent = dirname(p);
    if (parent === p) return true;
    p = parent;
  }
}

/** Creates a directory (and parents) with `mode`, owned by the server user when `owned`. */
export async function ensureDir(path: string, mode: number, owner?: ServerUser): Promise<void> {
  await fs.mkdir(path, { recursive: true, mode });
  await fs.chmod(path, mode);
  if (owner?.switchUser) await fs.chown(path, owner.uid, owner.gid);
}

/** Writes a file with `mode` (set explicitly, whatever the umask), owned by the server user when given. */
export async function writeFileMode(
  path: string,
  data: string | Uint8Array,
  mode: number,
  owner?: ServerUser,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data, { mode });
  await fs.chmod(tmp, mode);
  if (owner?.switchUser) await fs.chown(tmp, owner.uid, owner.gid);
  await fs.rename(tmp, path);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command (as the server user when switching) and resolves with its output; rejects on failure. */
export function run(
  cmd: string,
  args: string[],
  opts: { user?: ServerUser; env?: NodeJS.ProcessEnv; cwd?: string; allowFailure?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, {
      ...(opts.user ? asServer(opts.user) : {}),
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? "/",
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const c = code ?? 1;
      if (c !== 0 && !opts.allowFailure) {
        fail(systemError("COMMAND_FAILED", `${cmd} failed (exit ${c}): ${stderr.trim() || stdout.trim()}`));
      } else ok({ code: c, stdout, stderr });
    });
  });
}

/**
 * Copies the entries `names` of directory `src` into directory `dst` (created), preserving modes, as
 * the server user so the copy belongs to it. Uses `cp -a` (several times faster than a copy in Node
 * for a data directory's thousand small files). With `tolerateVanished`, files that disappear while
 * copying (a live data directory) are not an error. With `link`, files are hard links (only for
 * trees nobody writes to, such as a template and a backup made from it), falling back to a copy.
 */
export async function copyEntries(
  src: string,
  dst: string,
  names: string[],
  user: ServerUser,
  opts: { tolerateVanished?: boolean; link?: boolean } = {},
): Promise<void> {
  await ensureDir(dst, 0o700, user);
  if (names.length === 0) return;
  if (process.platform !== "win32") {
    const r = await run("cp", [opts.link ? "-al" : "-a", ...names.map((n) => join(src, n)), `${dst}/`], {
      user,
      allowFailure: true,
    }).catch(() => null);
    if (r?.code === 0) return;
    if (r !== null && opts.link) {
      // Hard links are impossible here (another file system...): start over with a real copy. The
      // partial tree goes first: copying onto a hard link would write through it into the source.
      await removeTree(dst);
      return copyEntries(src, dst, names, user, { ...opts, link: false });
    }
    if (r !== null) {
      const bad = r.stderr
        .split("\n")
        .filter((l) => l.trim() !== "")
        .filter((l) => !(opts.tolerateVanished && /No such file or directory/.test(l)));
      if (bad.length === 0) return;
      throw systemError("COPY_FAILED", `Copying ${src} to ${dst} failed: ${bad.slice(0, 3).join("; ")}`);
    }
  }
  for (const n of names) await copyTreeNode(join(src, n), join(dst, n), user, Boolean(opts.tolerateVanished));
}

async function copyTreeNode(src: string, dst: string, user: ServerUser, tolerate: boolean): Promise<void> {
  try {
    const st = await fs.lstat(src);
    if (st.isDirectory()) {
      await ensureDir(dst, st.mode & 0o7777, user);
      for (const e of await fs.readdir(src)) await copyTreeNode(join(src, e), join(dst, e), user, tolerate);
    } else if (st.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(src), dst);
    } else {
      await fs.copyFile(src, dst, fsc.COPYFILE_FICLONE);
      await fs.chmod(dst, st.mode & 0o7777);
      if (user.switchUser) await fs.chown(dst, user.uid, user.gid);
    }
  } catch (e) {
    if (tolerate && (e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
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

/** Total size in bytes of the files under `path` (0 when it does not exist). */
export async function dirSize(path: string): Promise<number> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  const sizes = await Promise.all(
    entries.map(async (e) => {
      const p = join(path, e.name);
      if (e.isDirectory()) return dirSize(p);
      if (!e.isFile()) return 0;
      return fs.stat(p).then(
        (st) => st.size,
        () => 0,
      );
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** Removes a tree; a missing tree is fine. */
export async function removeTree(path: string): Promise<void> {
  await fs.rm(path, { recursive: true, force: true, maxRetries: 3 });
}
