import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { systemError } from "../../errors.js";
import { ensureDir, writeFileMode } from "./fs-safe.js";
import { canTraverse, exists } from "./fs-util.js";
import { internalSecrets } from "./secrets.js";
import type { ServerUser } from "./server-user.js";

/**
 * Where one database's local state lives.
 *
 * `.ebdb/<identifier>/` in the project holds what only ebdb may write: the password file, ebdb's
 * internal credentials, the lock, and the CA certificate the application verifies the servers with
 * (ca.crt, the only file others may read). The data (nodes/, archive/, backups/, tls/) normally
 * lives there too; when ebdb runs as root and the project's server user cannot reach the project folder (e.g.
 * /root/app, or a 0700 temporary folder), it lives in `/var/lib/ebdb/<identifier>-<hash of the
 * project path>/` instead (found again by that same rule, so no pointer a server could forge).
 *
 * As root, every directory on the way to a file root writes is root's (0711 where a server must
 * pass through); the server user owns only its data directories (`nodes/<name>/pgdata`, a backup's
 * `data/`) and the WAL archive, and root never writes through them (see fs-safe.ts).
 */
export interface Layout {
  projectDir: string;
  identifier: string;
  stateDir: string;
  passwordFile: string;
  /** ebdb's own credentials (the internal superuser's and the replication user's passwords). */
  internalFile: string;
  /** Directory holding nodes/, archive/, backups/, tls/. */
  dataRoot: string;
  nodesDir: string;
  archiveDir: string;
  backupsDir: string;
  tlsDir: string;
  lockFile: string;
}

/** Node and backup names as ebdb makes them: a letter, then letters, digits, hyphens (never a path). */
const NAME_RE = /^[A-Za-z][A-Za-z0-9-]{0,254}$/;

/** A node's or backup's directory name, refused unless it is one ebdb could have made. */
export function safeName(name: string): string {
  if (!NAME_RE.test(name))
    throw systemError("UNSAFE_PATH", `"${name}" is not a name ebdb makes: refusing to use it as a path.`);
  return name;
}

export function nodeDir(l: Layout, name: string): string {
  return join(l.nodesDir, safeName(name));
}
export function pgdataOf(l: Layout, name: string): string {
  return join(nodeDir(l, name), "pgdata");
}
export function logFileOf(l: Layout, name: string): string {
  return join(nodeDir(l, name), "postgresql.log");
}

/** Mode of a root-owned directory a server user must pass through (0711), or an owner-only one. */
export function passMode(user: ServerUser): number {
  return user.switchUser ? 0o711 : 0o700;
}

/** Shared cache (initdb templates, a reachable copy of the embedded binaries). */
export function cacheRoot(env: Readonly<Record<string, string | undefined>>, user: ServerUser): string {
  if (env.EBDB_CACHE_DIR) return resolve(env.EBDB_CACHE_DIR);
  if (user.switchUser) return "/var/lib/ebdb/cache";
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "ebdb");
}

function systemRoot(env: Readonly<Record<string, string | undefined>>): string {
  return env.EBDB_SYSTEM_DIR ? resolve(env.EBDB_SYSTEM_DIR) : "/var/lib/ebdb";
}

/**
 * The project's lock, `.ebdb/<identifier>.lock`: beside the state folder, not in it (destroy
 * removes that folder while holding the lock), and known before anything else is resolved (the
 * server user, the layout: a destroy running meanwhile may remove them).
 */
export function lockFileFor(projectDir: string, identifier: string): string {
  return join(projectDir, ".ebdb", `${identifier}.lock`);
}

function build(projectDir: string, identifier: string, dataRoot: string): Layout {
  const stateDir = join(projectDir, ".ebdb", identifier);
  return {
    projectDir,
    identifier,
    stateDir,
    passwordFile: join(stateDir, "password"),
    internalFile: join(stateDir, "internal.json"),
    dataRoot,
    nodesDir: join(dataRoot, "nodes"),
    archiveDir: join(dataRoot, "archive"),
    backupsDir: join(dataRoot, "backups"),
    tlsDir: join(dataRoot, "tls"),
    lockFile: lockFileFor(projectDir, identifier),
  };
}

/** The layout of an existing project, or where it would go; creates nothing. */
export async function findLayout(
  projectDir: string,
  identifier: string,
  user: ServerUser,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Layout> {
  const stateDir = join(projectDir, ".ebdb", identifier);
  const inProject = build(projectDir, identifier, stateDir);
  if (!user.switchUser || (await exists(inProject.nodesDir))) return inProject;
  const hash = createHash("sha256").update(resolve(projectDir)).digest("hex").slice(0, 10);
  const system = build(projectDir, identifier, join(systemRoot(env), `${identifier}-${hash}`));
  if (await exists(system.nodesDir)) return system;
  // The project folder decides: .ebdb is ebdb's own and createLayout makes it passable (the lock
  // may just have made it 0700, which once sent every new project to the system folder).
  return (await canTraverse(projectDir, user)) ? inProject : system;
}

/** Whether a state folder was made by an ebdb from before the master user stopped being a superuser. */
export async function isLegacyLayout(l: Layout): Promise<boolean> {
  return (
    (await exists(join(l.stateDir, "data-root"))) ||
    ((await exists(l.nodesDir)) && !(await exists(l.internalFile)))
  );
}

/** Creates the directories of a layout (see Layout for who owns what). */
export async function createLayout(l: Layout, user: ServerUser): Promise<void> {
  const inProject = l.dataRoot === l.stateDir;
  const pass = passMode(user);
  // Passable (0711 as root) even when the data is elsewhere: the application reads ca.crt here.
  await ensureDir(join(l.projectDir, ".ebdb"), pass);
  await ensureDir(l.stateDir, pass);
  // Before any data exists, so a state folder with data but no internal credentials is an old one.
  await internalSecrets(l.internalFile);
  if (!inProject) {
    await ensureDir(resolve(l.dataRoot, ".."), 0o755);
    await ensureDir(l.dataRoot, pass);
    await writeFileMode(join(l.dataRoot, "project"), `${l.projectDir}\n`, 0o600);
  }
  await Promise.all([
    ensureDir(l.nodesDir, pass),
    ensureDir(l.backupsDir, pass),
    ensureDir(l.tlsDir, 0o700),
    ensureDir(l.archiveDir, 0o700, user),
  ]);
}
