import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import { join } from "node:path";
import { systemError } from "../../errors.js";
import { Secret } from "../../model/secret.js";
import type { PgBinaries } from "./binaries.js";
import { ensureDir, exists, removeTree, run, writeFileMode } from "./fs-util.js";
import { generatePassword, readPasswordFile, scramVerifier } from "./secrets.js";
import { asServer, type ServerUser } from "./server-user.js";

/** The database a template holds for the application; renamed to DB_NAME when a primary is made from it. */
export const TEMPLATE_DB = "ebdb_app";
const FORMAT = "t1";

/**
 * A freshly initialised, cleanly shut down data directory: initdb output plus the application
 * database (with pg_stat_statements) and the superuser, whose password is a per-template secret
 * replaced at the first start. Copying it takes a tenth of initdb's time, so it is cached per
 * binary version and superuser name (set EBDB_TEMPLATE_CACHE=off to build one for each use).
 */
export interface Template {
  pgdata: string;
  superuser: string;
  password: Secret;
  /** True when it was built for this call only (and should be removed after use). */
  temporary: boolean;
  /** True when this call had to build it (initdb ran). */
  built: boolean;
}

function key(bins: PgBinaries, superuser: string): string {
  const h = createHash("sha256").update(`${bins.bindir}\0${superuser}`).digest("hex").slice(0, 10);
  return `${bins.version}-${h}-${FORMAT}`;
}

/** The cached template for these binaries and superuser, building it when missing. */
export async function getTemplate(bins: PgBinaries, superuser: string, user: ServerUser, cache: string, env: Readonly<Record<string, string | undefined>>): Promise<Template> {
  const useCache = env.EBDB_TEMPLATE_CACHE !== "off";
  const root = join(cache, "templates");
  const dir = join(root, key(bins, superuser));
  if (useCache && (await exists(join(dir, "pgdata", "PG_VERSION")))) {
    const password = await readPasswordFile(join(dir, "password"));
    if (password) return { pgdata: join(dir, "pgdata"), superuser, password, temporary: false, built: false };
  }
  await ensureDir(cache, user.switchUser ? 0o755 : 0o700);
  await ensureDir(root, 0o700, user);
  const tmp = join(root, `.build-${process.pid}-${randomBytes(4).toString("hex")}`);
  await ensureDir(tmp, 0o700, user);
  const password = new Secret(generatePassword());
  try {
    await buildTemplate(bins, join(tmp, "pgdata"), superuser, password, user, tmp);
    await writeFileMode(join(tmp, "password"), password.reveal(), 0o600);
  } catch (e) {
    await removeTree(tmp);
    throw e;
  }
  if (!useCache) return { pgdata: join(tmp, "pgdata"), superuser, password, temporary: true, built: true };
  try {
    await fs.rename(tmp, dir);
  } catch {
    // Another process built it at the same time: use theirs.
    await removeTree(tmp);
    const theirs = await readPasswordFile(join(dir, "password"));
    if (theirs) return { pgdata: join(dir, "pgdata"), superuser, password: theirs, temporary: false, built: true };
    throw systemError("TEMPLATE_FAILED", `Could not install the initdb template in ${dir}.`);
  }
  return { pgdata: join(dir, "pgdata"), superuser, password, temporary: false, built: true };
}

/** Removes a template that was built for one use. */
export async function releaseTemplate(t: Template): Promise<void> {
  if (t.temporary) await removeTree(join(t.pgdata, ".."));
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
      // 1 MiB WAL segments: archiving, backups and restores move far less data for a development database.
      "--wal-segsize=1",
    ],
    { user, env },
  ).catch((e) => {
    throw systemError("INITDB_FAILED", `initdb (${bins.bindir}) failed: ${(e as Error).message}`);
  });
  await fs.rm(pwfile, { force: true });
  // Single-user mode makes the application database without starting a server (about 0.1 s).
  const sql = [
    "CREATE EXTENSION pg_stat_statements;",
    `CREATE DATABASE ${TEMPLATE_DB} TEMPLATE template1;`,
    "DROP EXTENSION pg_stat_statements;",
    "",
  ].join("\n");
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(join(bins.bindir, "postgres"), ["--single", "-D", pgdata, "-c", "fsync=off", "template1"], {
      ...asServer(user),
      env,
      cwd: pgdata,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
    });
    child.stderr.on("data", (d) => {
      text += d;
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(systemError("TEMPLATE_FAILED", `postgres --single failed: ${text}`))));
    child.stdin.end(sql);
  });
  if (/ERROR:/.test(out)) throw systemError("TEMPLATE_FAILED", `Preparing the template failed: ${out.trim()}`);
}
