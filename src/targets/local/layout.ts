import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { canTraverse, ensureDir, exists, writeFileMode } from "./fs-util.js";
import type { ServerUser } from "./server-user.js";

/**
 * Where one database's local state lives.
 *
 * `.ebdb/<identifier>/` in the project (owner-only) holds the password file and, normally, the
 * data. When ebdb runs as root, the servers run as an unprivileged user that often cannot reach
 * the project folder (e.g. /root/app, or a 0700 temporary folder); the data then lives in
 * `/var/lib/ebdb/<identifier>-<hash of the project path>/` and `.ebdb/<identifier>/data-root`
 * points at it.
 */
export interface Layout {
  projectDir: string;
  identifier: string;
  stateDir: string;
  passwordFile: string;
  /** Directory holding nodes/, archive/, backups/, tls/ (owned by the server user). */
  dataRoot: string;
  nodesDir: string;
  archiveDir: string;
  backupsDir: string;
  tlsDir: string;
  lockFile: string;
}

export function nodeDir(l: Layout, name: string): string {
  return join(l.nodesDir, name);
}
export function pgdataOf(l: Layout, name: string): string {
  return join(l.nodesDir, name, "pgdata");
}
export function logFileOf(l: Layout, name: string): string {
  return join(l.nodesDir, name, "postgresql.log");
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

function build(projectDir: string, identifier: string, dataRoot: string): Layout {
  const stateDir = join(projectDir, ".ebdb", identifier);
  return {
    projectDir,
    identifier,
    stateDir,
    passwordFile: join(stateDir, "password"),
    dataRoot,
    nodesDir: join(dataRoot, "nodes"),
    archiveDir: join(dataRoot, "archive"),
    backupsDir: join(dataRoot, "backups"),
    tlsDir: join(dataRoot, "tls"),
    lockFile: join(stateDir, "lock"),
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
  try {
    const pointer = (await fs.readFile(join(stateDir, "data-root"), "utf8")).trim();
    if (pointer) return build(projectDir, identifier, pointer);
  } catch {
    // no pointer: the data lives in the project, or is not created yet
  }
  if (!user.switchUser || (await exists(join(stateDir, "nodes"))))
    return build(projectDir, identifier, stateDir);
  if (await canTraverse(join(projectDir, ".ebdb"), user)) return build(projectDir, identifier, stateDir);
  const hash = createHash("sha256").update(resolve(projectDir)).digest("hex").slice(0, 10);
  return build(projectDir, identifier, join(systemRoot(env), `${identifier}-${hash}`));
}

/** Creates the directories of a layout with owner-only permissions (the data owned by the server user). */
export async function createLayout(l: Layout, user: ServerUser): Promise<void> {
  const ebdbDir = join(l.projectDir, ".ebdb");
  const inProject = l.dataRoot === l.stateDir;
  // When the server user keeps its data in the project, it must be able to traverse .ebdb.
  await ensureDir(ebdbDir, inProject && user.switchUser ? 0o711 : 0o700);
  await ensureDir(l.stateDir, 0o700, inProject ? user : undefined);
  if (!inProject) {
    await ensureDir(resolve(l.dataRoot, ".."), 0o755);
    await ensureDir(l.dataRoot, 0o700, user);
    await writeFileMode(join(l.stateDir, "data-root"), `${l.dataRoot}\n`, 0o600);
    await writeFileMode(join(l.dataRoot, "project"), `${l.projectDir}\n`, 0o600, user);
  }
  for (const d of [l.nodesDir, l.archiveDir, l.backupsDir, l.tlsDir]) await ensureDir(d, 0o700, user);
}
