import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// Helpers for the spawned `ebdb psql` tests: a real local database, the CLI as a user runs it, and
// what the kernel says about its processes (Linux /proc).

export const BIN = fileURLToPath(new URL("../../bin/ebdb.js", import.meta.url));
export const hasProc = process.platform === "linux";
export const hasPsql = spawnSync("psql", ["--version"]).status === 0;
export const hasSetpriv = spawnSync("setpriv", ["--help"], { encoding: "utf8" }).stdout?.includes(
  "--pdeathsig",
);
export const hasScript = spawnSync("script", ["--version"]).status === 0;

/** A project folder with a running local database, and its connection settings from `ebdb env`. */
export interface CliProject {
  dir: string;
  env: NodeJS.ProcessEnv;
  vars: Record<string, string>;
  ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  cleanup(): Promise<void>;
}

/** `extra`: more config.env lines (each ending in a newline). */
export async function upProject(name: string, extra = ""): Promise<CliProject> {
  const dir = mkdtempSync(join(tmpdir(), `ebdb-${name}-`));
  // No libpq settings of the test runner's may leak into what psql is given.
  const env: NodeJS.ProcessEnv = { ...process.env, EBDB_TARGET: "" };
  for (const k of Object.keys(env)) if (k.startsWith("PG")) delete env[k];
  const app = `${name}${process.pid % 10000}`;
  writeFileSync(
    join(dir, "config.env"),
    `APP_NAME="${app}"\nENV_NAME="dev"\nDB_ENGINE_VERSION="15.8"\nDB_READ_REPLICA_ENABLED="false"\n${extra}`,
  );
  const ebdb = async (...argv: string[]) => {
    const o = captureOutput();
    const code = await main(argv, o, env, dir);
    return { code, out: o.stdout(), err: o.stderr() };
  };
  const up = await ebdb("up");
  if (up.code !== 0) throw new Error(`ebdb up exited ${up.code}: ${up.err}`);
  const vars = JSON.parse((await ebdb("env", "--format", "json")).out) as Record<string, string>;
  return {
    dir,
    env,
    vars,
    ebdb,
    async cleanup() {
      await ebdb("destroy", "--yes");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A spawned `ebdb` with its output collected. */
export interface Spawned {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves when it exits; rejects (after killing its process group) if that takes over `ms`. */
  exit(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node bin/ebdb.js ...args` in the project, in a session of its own (so it has no
 * terminal, and everything it starts can be killed as one group if a test fails).
 */
export function spawnEbdb(
  p: CliProject,
  args: string[],
  file = process.execPath,
  pre: string[] = [BIN],
): Spawned {
  const child = spawn(file, [...pre, ...args], {
    cwd: p.dir,
    env: p.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out: () => out,
    err: () => err,
    exit: (ms = 20_000) =>
      Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            killGroup(child.pid);
            reject(new Error(`ebdb ${args.join(" ")} did not exit within ${ms} ms\n${out}\n${err}`));
          }, ms).unref(),
        ),
      ]),
  };
}

export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {}
}

/** A process's state letter, parent, group and start time, from /proc; null when it is gone. */
export function procStat(
  pid: number,
): { comm: string; state: string; ppid: number; pgrp: number; start: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")"));
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { comm, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), start: f[19] };
  } catch {
    return null;
  }
}

/** Whether the process that had `start` as its start time still runs (a zombie has ended). */
export function running(pid: number, start: string): boolean {
  const s = procStat(pid);
  return s !== null && s.start === start && s.state !== "Z";
}

/** The processes whose parent is `pid`, with their command name. */
export function childrenOf(pid: number): { pid: number; comm: string; start: string }[] {
  const found = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const s = procStat(Number(e));
    if (s && s.ppid === pid && s.state !== "Z") found.push({ pid: Number(e), comm: s.comm, start: s.start });
  }
  return found;
}

export function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
}
export function environ(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
}

/**
 * Files under `roots` whose contents hold `secret`, skipping `.ebdb` folders (where ebdb keeps the
 * password on purpose). grep reads the secret from stdin, so it is in no process's arguments.
 */
export function filesContaining(secret: string, roots: string[]): string[] {
  // Not into other checkouts' dependencies and histories (a shared /tmp holds clones): ebdb writes neither.
  const r = spawnSync(
    "grep",
    [
      "-rlF",
      "-D",
      "skip",
      "-s",
      "--exclude-dir=.ebdb",
      "--exclude-dir=node_modules",
      "--exclude-dir=.git",
      "-f",
      "-",
      ...roots,
    ],
    {
      input: `${secret}\n`,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  if (r.error) throw r.error;
  return r.stdout.split("\n").filter(Boolean);
}

/** Polls `fn` every 25 ms until it returns true; throws after `ms`. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs one query as the master user (TLS, certificate not checked: it is the local self-signed one). */
export async function query<T = Record<string, unknown>>(
  p: CliProject,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({
    host: p.vars.DB_HOST,
    port: Number(p.vars.DB_PORT),
    user: p.vars.DB_USERNAME,
    password: p.vars.DB_PASSWORD,
    database: p.vars.DB_NAME,
    ssl: { rejectUnauthorized: false },
    connectionTimeoutMillis: 5000,
  });
  c.on("error", () => {});
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Whether a statement containing `marker` is running (other than the one asking). */
export async function isRunning(p: CliProject, marker: string): Promise<boolean> {
  const rows = await query<{ n: number }>(
    p,
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0",
    [marker],
  );
  return rows[0].n > 0;
}

/** Waits until the statement holding `marker` runs; fails at once, with its output, if `s` exits first. */
export async function started(p: CliProject, marker: string, s?: Spawned): Promise<void> {
  await until(
    `the statement ${marker} to start`,
    async () => {
      if (s && (s.child.exitCode !== null || s.child.signalCode !== null))
        throw new Error(`exited (${s.child.exitCode ?? s.child.signalCode}) first:\n${s.out()}\n${s.err()}`);
      return isRunning(p, marker);
    },
    20_000,
  );
}
