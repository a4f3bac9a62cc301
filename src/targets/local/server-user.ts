import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { systemError } from "../../errors.js";

/**
 * The operating-system user PostgreSQL runs as. PostgreSQL refuses to run as root, so when ebdb
 * runs as root (CI, containers) the servers run as an unprivileged user: `$EBDB_SERVER_USER`, or
 * `ebdb`, created as a system user when missing. Anyone else runs the servers as themselves.
 */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /** True when ebdb runs as root and starts processes as this other user. */
  switchUser: boolean;
}

const DEFAULT_USER = "ebdb";

/** uid or gid of a user from /etc/passwd (no process to start), else from `id` (NSS users). */
function idOf(name: string, flag: "-u" | "-g"): number | null {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f[0] === name && f.length >= 4) return Number(f[flag === "-u" ? 2 : 3]);
    }
  } catch {
    // no /etc/passwd: ask id
  }
  const r = spawnSync("id", [flag, name], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const n = Number(r.stdout.trim());
  return Number.isInteger(n) ? n : null;
}

function tryCreate(name: string): string | null {
  const attempts: [string, string[]][] = [
    [
      "useradd",
      [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        name,
      ],
    ],
    ["adduser", ["-S", "-D", "-H", "-s", "/sbin/nologin", name]],
  ];
  const errors: string[] = [];
  for (const [cmd, args] of attempts) {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.status === 0) return null;
    errors.push(`${cmd}: ${r.error ? r.error.message : r.stderr.trim() || `exit ${r.status}`}`);
  }
  return errors.join("; ");
}

let cached: ServerUser | undefined;

/** The user the servers run as; creates `ebdb` when running as root and it does not exist. */
export function resolveServerUser(env: Readonly<Record<string, string | undefined>>): ServerUser {
  const uid = process.getuid?.() ?? 1;
  if (uid !== 0) {
    const info = userInfo();
    return { name: info.username, uid: info.uid, gid: info.gid, switchUser: false };
  }
  if (cached) return cached;
  const name = env.EBDB_SERVER_USER || DEFAULT_USER;
  let u = idOf(name, "-u");
  if (u === null) {
    if (name !== DEFAULT_USER) {
      throw systemError(
        "SERVER_USER_MISSING",
        `EBDB_SERVER_USER names "${name}", which is not a user on this machine.`,
        `Create it (useradd --system ${name}) or unset EBDB_SERVER_USER to let ebdb create "${DEFAULT_USER}".`,
      );
    }
    const failure = tryCreate(name);
    u = idOf(name, "-u");
    if (u === null) {
      throw systemError(
        "SERVER_USER_MISSING",
        `PostgreSQL refuses to run as root, and the user "${name}" that ebdb runs it as could not be created (${failure}).`,
        `Create it yourself (useradd --system ${name}), set EBDB_SERVER_USER to an existing unprivileged user, or run ebdb as a normal user.`,
      );
    }
  }
  if (u === 0) {
    throw systemError(
      "SERVER_USER_ROOT",
      `The server user "${name}" has uid 0; PostgreSQL refuses to run as root.`,
      "Set EBDB_SERVER_USER to an unprivileged user.",
    );
  }
  const g = idOf(name, "-g") ?? u;
  cached = { name, uid: u, gid: g, switchUser: true };
  return cached;
}

/** spawn() options that run a child as the server user. */
export function asServer(user: ServerUser): { uid?: number; gid?: number } {
  return user.switchUser ? { uid: user.uid, gid: user.gid } : {};
}
