import { spawn } from "node:child_process";
import { closeSync, existsSync, constants as fsc, openSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { systemError, userError } from "../../errors.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Layout } from "./layout.js";
import { isAlive, processStart } from "./pid.js";
import { procAvailable, procStat } from "./proc-scan.js";
import type { Session } from "./session.js";

/**
 * The backup agent: one detached process per project, started by `up` beside the servers, that does
 * on time what RDS does without being asked (RDS User Guide, "Backup retention period"): the daily
 * automated base backup, and the removal of automated backups and archived WAL older than
 * DB_BACKUP_RETENTION_DAYS. It runs as the user ebdb runs as (root: it takes the project's lock,
 * writes root's records and reads ebdb's credentials, as any ebdb command does); the copies run
 * as the server user, as for `snapshot create`. Its loop is backup-agent-loop.ts.
 */

/** Where `up` records the agent it started (root's, 0600), and where it logs. */
export const agentRecordFile = (l: Layout) => join(l.dataRoot, "backup-agent.json");
export const agentLogFile = (l: Layout) => join(l.dataRoot, "backup-agent.log");

export interface AgentRecord {
  pid: number;
  /** processStart(pid): a pid reused by another program is never signalled. */
  startTime: string;
}

/** Seconds between the agent's wakes, and the length of a "day" (tests shorten both). */
export interface AgentTiming {
  intervalMs: number;
  dayMs: number;
}

const DAY_MS = 86_400_000;

/**
 * The agent's timing from the environment: EBDB_BACKUP_AGENT_INTERVAL (seconds between wakes,
 * default 300) and EBDB_BACKUP_DAY_SECONDS (a day's length for its schedule and retention, default
 * 86400; for tests only). Errors: BAD_ENV (exit 2) for a value that is not a positive number.
 */
export function agentTiming(env: Readonly<Record<string, string | undefined>>): AgentTiming {
  const num = (key: string, dflt: number): number => {
    const v = env[key];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw userError(
        "BAD_ENV",
        `${key} is "${v}", which is not a positive number of seconds.`,
        `Set ${key} to a number of seconds (e.g. 300), or unset it.`,
      );
    return n * 1000;
  };
  return {
    intervalMs: num("EBDB_BACKUP_AGENT_INTERVAL", 300_000),
    dayMs: num("EBDB_BACKUP_DAY_SECONDS", DAY_MS),
  };
}

export async function readAgentRecord(l: Layout): Promise<AgentRecord | null> {
  try {
    const r = JSON.parse((await readFileSafe(agentRecordFile(l))) ?? "null") as AgentRecord | null;
    return r && Number.isInteger(r.pid) && r.pid > 0 ? r : null;
  } catch {
    return null;
  }
}

/** Alive, not a zombie, and the same process the record names (same start time). */
function running(r: AgentRecord): boolean {
  if (!isAlive(r.pid)) return false;
  const st = procStat(r.pid);
  if (st !== null && (st.state === "Z" || st.state === "X")) return false;
  if (st === null && procAvailable()) return false;
  return r.startTime === "" || processStart(r.pid) === r.startTime;
}

/** The agent's pid when the recorded one runs, else null. */
export async function agentPid(l: Layout): Promise<number | null> {
  const r = await readAgentRecord(l);
  return r && running(r) ? r.pid : null;
}

/** bin/ebdb.js of this installation (from this file in src/, dist/ or the bundle). */
function ebdbBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "bin", "ebdb.js"))) {
    const up = dirname(dir);
    if (up === dir) throw systemError("INTERNAL", "ebdb's bin/ebdb.js was not found (a bug).");
    dir = up;
  }
  return join(dir, "bin", "ebdb.js");
}

/**
 * The environment the agent gets: what finds the same binaries and cache as the command that
 * started it (PATH, HOME, XDG_CACHE_HOME) and ebdb's own settings (EBDB_*), nothing else (no secrets).
 */
function agentEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { PATH: env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" };
  for (const k of ["HOME", "XDG_CACHE_HOME"]) if (env[k]) out[k] = env[k];
  for (const [k, v] of Object.entries(env))
    if (k.startsWith("EBDB_") && k !== "EBDB_FAULT_POINT" && v !== undefined) out[k] = v;
  // The interruption tests' fault point for the agent itself (fault.ts), never the command's own.
  if (env.EBDB_BACKUP_AGENT_FAULT_POINT) out.EBDB_FAULT_POINT = env.EBDB_BACKUP_AGENT_FAULT_POINT;
  out.EBDB_TARGET = "local";
  return out;
}

/**
 * Starts the project's agent unless the recorded one runs (call under the project's lock, once the
 * primary is up): `ebdb backup-agent` in its own session, so it outlives this command, logging to
 * backup-agent.log (opened without following a link). Returns its pid and whether it was started now.
 */
export async function ensureBackupAgent(s: Session): Promise<{ pid: number; started: boolean }> {
  agentTiming(s.ctx.env); // a bad setting is refused here, not in a detached process's log
  const current = await agentPid(s.layout);
  if (current) return { pid: current, started: false };
  const fd = openSync(
    agentLogFile(s.layout),
    fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW,
    0o600,
  );
  let pid = 0;
  try {
    const child = spawn(
      process.execPath,
      [ebdbBin(), "backup-agent", "--target", "local", "--config", s.config.file, s.config.identifier],
      // In the project's folder, as the command was: binaries in its node_modules are found the same way.
      { cwd: dirname(s.config.file), detached: true, stdio: ["ignore", fd, fd], env: agentEnv(s.ctx.env) },
    );
    child.on("error", () => {});
    child.unref();
    pid = child.pid ?? 0;
  } finally {
    closeSync(fd);
  }
  if (!pid)
    throw systemError("AGENT_START_FAILED", `Could not start the backup agent of ${s.config.identifier}.`);
  await writeFileMode(
    agentRecordFile(s.layout),
    `${JSON.stringify({ pid, startTime: processStart(pid) })}\n`,
    0o600,
  );
  return { pid, started: true };
}

/**
 * Stops the project's agent (down, destroy, backups turned off; under the project's lock, so it is
 * between two actions): its record goes first (an agent whose record no longer names it exits at
 * its next wake), then SIGTERM, and SIGKILL after `timeoutMs`. Returns whether one was running.
 */
export async function stopBackupAgent(l: Layout, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const r = await readAgentRecord(l);
  if (!r) return false;
  await writeFileMode(agentRecordFile(l), "{}\n", 0o600);
  if (!running(r)) return false;
  try {
    process.kill(r.pid, "SIGTERM");
  } catch {
    return false;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  while (running(r) && Date.now() < deadline) await sleep(20);
  try {
    if (running(r)) process.kill(r.pid, "SIGKILL");
  } catch {
    // gone meanwhile
  }
  // An agent stopped while it waited for the lock leaves its candidate file (lock.ts) behind.
  const prefix = `${basename(l.lockFile)}.${r.pid}-`;
  for (const name of await readdir(dirname(l.lockFile)).catch(() => [] as string[]))
    if (name.startsWith(prefix)) await rm(join(dirname(l.lockFile), name), { force: true });
  return true;
}
