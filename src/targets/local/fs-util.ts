import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { dyingWithParent } from "../../child-process.js";
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

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a command (as the server user when switching) and resolves with its output; rejects on
 * failure. `input` is written to its standard input (else it reads nothing).
 */
export function run(
  cmd: string,
  args: string[],
  opts: {
    user?: ServerUser;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    allowFailure?: boolean;
    input?: string | Buffer;
  } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Dies with ebdb: a copy or a delete must not go on writing after an interrupted run.
  const [file, argv] = dyingWithParent(cmd, args, "KILL");
  return new Promise((ok, fail) => {
    const child = spawn(file, argv, {
      ...(opts.user ? asServer(opts.user) : {}),
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? "/",
      stdio: ["pipe", "pipe", "pipe"],
    });
    // A command that exits without reading it all is not an error of ours: its exit code says.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
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
