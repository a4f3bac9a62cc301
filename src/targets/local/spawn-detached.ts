import { spawn } from "node:child_process";
import { closeSync, constants as fsc, openSync } from "node:fs";
import { asServer, type ServerUser } from "./server-user.js";

export interface DetachedServer {
  /** The process id (0 when the spawn failed outright). */
  pid: number;
  /** Its exit code once it has exited (127: it could not be started), else null. */
  exited(): number | null;
}

/**
 * Starts a server program (postgres, PgBouncer) as the project's server user in its own process
 * group, so it outlives ebdb, with stdout and stderr appended to `logFile`. The log is opened by root
 * without following a link (its folder is root's, but a link planted by the server's user must never
 * be appended through), and the environment is only PATH, LC_ALL=C and TZ=UTC.
 */
export function spawnDetached(
  command: string,
  args: string[],
  opts: { user: ServerUser; cwd: string; logFile: string },
): DetachedServer {
  const fd = openSync(opts.logFile, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o600);
  let exited: number | null = null;
  try {
    const child = spawn(command, args, {
      ...asServer(opts.user),
      cwd: opts.cwd,
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" },
    });
    child.on("exit", (code) => {
      exited = code ?? 1;
    });
    child.on("error", () => {
      exited = 127;
    });
    child.unref();
    return { pid: child.pid ?? 0, exited: () => exited };
  } finally {
    closeSync(fd);
  }
}
