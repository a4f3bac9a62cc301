import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { systemError } from "../../errors.js";

/**
 * The operating-system user PostgreSQL runs as. PostgreSQL refuses to run as root, so when ebdb
 * runs as root (CI, containers) the servers run as unprivileged users (see resolveServerUser).
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

function tryCreate(name: string, comment: string): string | null {
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
        "--comment",
        comment,
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

const cache = new Map<string, ServerUser>();

/** The name of a project's own server user: `ebdb-` and 10 hex digits of a hash of its folder and identifier. */
export function projectUserName(projectDir: string, identifier: string): string {
  return `ebdb-${createHash("sha256")
    .update(`${resolve(projectDir)}\0${identifier}`)
    .digest("hex")
    .slice(0, 10)}`;
}

const PROJECT_USER_RE = /^ebdb-[0-9a-f]{10}$/;

function lookup(name: string): ServerUser | null {
  const u = idOf(name, "-u");
  if (u === null) return null;
  if (u === 0) {
    throw systemError(
      "SERVER_USER_ROOT",
      `The server user "${name}" has uid 0; PostgreSQL refuses to run as root.`,
      "Set EBDB_SERVER_USER to an unprivileged user.",
    );
  }
  return { name, uid: u, gid: idOf(name, "-g") ?? u, switchUser: true };
}

function ensureUser(name: string, create: boolean, comment: string): ServerUser {
  const known = cache.get(name) ?? lookup(name);
  if (known) {
    cache.set(name, known);
    return known;
  }
  // Not created yet, and not asked to: nothing can exist that runs as it.
  if (!create) return { name, uid: -1, gid: -1, switchUser: true };
  const failure = tryCreate(name, comment);
  const made = lookup(name);
  if (!made) {
    throw systemError(
      "SERVER_USER_MISSING",
      `PostgreSQL refuses to run as root, and the user "${name}" that ebdb runs it as could not be created (${failure}).`,
      "Create it yourself (useradd --system NAME) and set EBDB_SERVER_USER to it, or run ebdb as a normal user.",
    );
  }
  cache.set(name, made);
  return made;
}

function explicitUser(name: string): ServerUser {
  const u = lookup(name);
  if (!u) {
    throw systemError(
      "SERVER_USER_MISSING",
      `EBDB_SERVER_USER names "${name}", which is not a user on this machine.`,
      `Create it (useradd --system ${name}) or unset EBDB_SERVER_USER to let ebdb create one user per project.`,
    );
  }
  return u;
}

function currentUser(): ServerUser {
  const info = userInfo();
  return { name: info.username, uid: info.uid, gid: info.gid, switchUser: false };
}

const asRoot = () => (process.getuid?.() ?? 1) === 0;

/**
 * The user one project's servers run as. As root: a user of the project's own (`ebdb-<hash>`,
 * created when `create` and missing), so no project's server can read another's files; or
 * `$EBDB_SERVER_USER` for every project when set (giving that isolation up). Anyone else runs the
 * servers as themselves.
 */
export function resolveServerUser(
  env: Readonly<Record<string, string | undefined>>,
  project: { dir: string; identifier: string },
  create = false,
): ServerUser {
  if (!asRoot()) return currentUser();
  if (env.EBDB_SERVER_USER) return explicitUser(env.EBDB_SERVER_USER);
  return ensureUser(
    projectUserName(project.dir, project.identifier),
    create,
    `ebdb server of ${project.identifier}`,
  );
}

/**
 * The user that builds the shared initdb templates (`ebdb`, created when missing): no server ever
 * runs as it, so nothing a server does can change a template that every project copies.
 */
export function templateUser(env: Readonly<Record<string, string | undefined>>): ServerUser {
  if (!asRoot()) return currentUser();
  if (env.EBDB_SERVER_USER) return explicitUser(env.EBDB_SERVER_USER);
  return ensureUser(DEFAULT_USER, true, "ebdb initdb templates");
}

/**
 * Deletes a project's own server user (after destroy: its servers are stopped), ending whatever
 * still runs as it first, so nothing of the old project lives on as the owner of a new one's data.
 * Leaves any other user alone. Returns why it could not, or null.
 */
export function removeProjectUser(user: ServerUser): string | null {
  if (!asRoot() || !PROJECT_USER_RE.test(user.name) || user.uid <= 0) return null;
  cache.delete(user.name);
  const left = () => {
    try {
      return readdirSync("/proc").filter((p) => /^\d+$/.test(p) && statOwner(p) === user.uid);
    } catch {
      return [];
    }
  };
  for (let i = 0; i < 40 && left().length > 0; i++) {
    for (const p of left()) {
      try {
        process.kill(Number(p), "SIGKILL");
      } catch {
        // gone
      }
    }
    spawnSync("sleep", ["0.05"]);
  }
  const r = spawnSync("userdel", [user.name], { encoding: "utf8" });
  if (r.status === 0 || r.status === 6 /* no such user */) return null;
  return `userdel ${user.name} failed: ${r.error?.message ?? r.stderr.trim()}`;
}

function statOwner(pid: string): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

/** spawn() options that run a child as the server user. */
export function asServer(user: ServerUser): { uid?: number; gid?: number } {
  return user.switchUser ? { uid: user.uid, gid: user.gid } : {};
}
