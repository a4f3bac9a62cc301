import * as fs from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { systemError } from "../../errors.js";
import type { PgBinaries } from "./binaries.js";
import { readFileSafe } from "./fs-safe.js";
import { procAvailable, procStat } from "./proc-scan.js";
import type { ServerUser } from "./server-user.js";
import { spawnDetached } from "./spawn-detached.js";
import { isAlive as alive } from "./pid.js";

/** What postmaster.pid says, and whether that process is really this data directory's server. */
export interface ServerProcess {
  /** running: accepting connections; starting: alive, not ready yet; crashed: a pid file without its process. */
  state: "running" | "starting" | "stopped" | "crashed";
  pid: number | null;
  port: number | null;
}

async function readPidFile(pgdata: string): Promise<string[] | null> {
  try {
    // The server user owns this folder: never read through a link it put there.
    return (await readFileSafe(join(pgdata, "postmaster.pid")))?.split("\n") ?? null;
  } catch {
    return null;
  }
}

/** Whether `pid` is a postmaster of `pgdata` (not an unrelated process that reused the pid after a reboot). */
async function isPostmasterOf(pid: number, pgdata: string): Promise<boolean> {
  if (!alive(pid)) return false;
  if (process.platform !== "linux") return true;
  try {
    const argv = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    const i = argv.indexOf("-D");
    return i >= 0 && argv[i + 1] === pgdata;
  } catch {
    return false;
  }
}

/** The server's state from its pid file and the process table. */
export async function inspect(pgdata: string): Promise<ServerProcess> {
  const lines = await readPidFile(pgdata);
  if (!lines) return { state: "stopped", pid: null, port: null };
  const pid = Number(lines[0]);
  const port = Number(lines[3]) || null;
  if (!Number.isInteger(pid) || !(await isPostmasterOf(pid, pgdata)))
    return { state: "crashed", pid: null, port };
  const status = (lines[7] ?? "").trim();
  return { state: status === "ready" || status === "standby" ? "running" : "starting", pid, port };
}

/**
 * Linux: processes still working in `pgdata` after their postmaster died (kill -9). PostgreSQL will
 * not start while they hold the old shared memory; they are orphans, so they are ended.
 */
async function killOrphans(pgdata: string): Promise<void> {
  if (process.platform !== "linux") return;
  let pids: string[];
  try {
    pids = (await fs.readdir("/proc")).filter((p) => /^\d+$/.test(p));
  } catch {
    return;
  }
  for (const p of pids) {
    try {
      if ((await fs.readlink(`/proc/${p}/cwd`)) === pgdata) process.kill(Number(p), "SIGKILL");
    } catch {
      // not ours, or gone
    }
  }
}

export async function tail(file: string, lines = 15): Promise<string> {
  try {
    const text = await fs.readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Starts `postgres -D pgdata` directly (detached, as the server user, logging to `logFile`) and
 * resolves once it accepts connections — as soon as postmaster.pid says ready (primary) or standby
 * (a hot standby that reached consistency), polled every few milliseconds rather than pg_ctl's 100 ms.
 */
export async function startServer(
  bins: PgBinaries,
  pgdata: string,
  logFile: string,
  user: ServerUser,
  opts: {
    timeoutMs?: number;
    waitReady?: boolean /** Called once the server process exists. */;
    onSpawn?: () => void;
  } = {},
): Promise<number> {
  // "ready" also while a hot standby or an archive recovery accepts read-only connections.
  const readyStates = ["ready", "standby"];
  const current = await inspect(pgdata);
  if (current.state === "running" || current.state === "starting") return current.pid!;
  if (current.state === "crashed") {
    await killOrphans(pgdata);
    await fs.rm(join(pgdata, "postmaster.pid"), { force: true });
  }
  // Keep the log bounded: past 10 MiB it is set aside as postgresql.log.1 (one generation).
  const size = await fs.stat(logFile).then(
    (st) => st.size,
    () => 0,
  );
  if (size > 10 * 1024 * 1024) await fs.rename(logFile, `${logFile}.1`).catch(() => {});
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    const child = spawnDetached(join(bins.bindir, "postgres"), ["-D", pgdata], {
      user,
      cwd: pgdata,
      logFile,
    });
    opts.onSpawn?.();
    if (opts.waitReady === false) return child.pid;
    for (;;) {
      if (child.exited() !== null) break;
      const lines = await readPidFile(pgdata);
      const status = (lines?.[7] ?? "").trim();
      if (lines && Number(lines[0]) === child.pid && readyStates.includes(status)) return child.pid;
      if (Date.now() > deadline) {
        throw systemError(
          "PG_START_TIMEOUT",
          `PostgreSQL in ${pgdata} did not become ready in ${Math.round((Date.now() - started) / 1000)} s.`,
          `See its log: ${logFile}\n${await tail(logFile)}`,
        );
      }
      await sleep(Date.now() - started < 2000 ? 3 : 50);
    }
    const log = await tail(logFile);
    // Orphans of a killed server may still hold its shared memory for a moment.
    if (
      /shared memory block .* is still in use|lock file .* already exists/.test(log) &&
      attempt < 20 &&
      Date.now() < deadline
    ) {
      await killOrphans(pgdata);
      await sleep(250);
      continue;
    }
    if (/could not bind|Address already in use/.test(log)) {
      throw systemError("PORT_IN_USE", `PostgreSQL could not listen on its port (${pgdata}).`, log);
    }
    throw systemError(
      "PG_START_FAILED",
      `PostgreSQL in ${pgdata} exited during startup (code ${child.exited()}).`,
      `Its log (${logFile}):\n${log}`,
    );
  }
}

/** How long `stopServer` waits for a fast shutdown before asking for an immediate one, and then for that. */
export interface StopOptions {
  /** After a fast shutdown request (SIGINT), ms before an immediate one (SIGQUIT). Default 30 s. */
  timeoutMs?: number;
  /** After the immediate shutdown request, ms before giving up with PG_STOP_TIMEOUT. Default 10 s. */
  immediateTimeoutMs?: number;
}

/** Sends `signal` to `pid`; false if the process is gone already. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

/**
 * Whether the postmaster `pid` has stopped. With /proc (Linux): the process is gone, a zombie (it
 * has exited; only its parent's wait() is missing, which a parent that never reaps never does), or
 * its pid now belongs to a process started at another time. Without /proc, pg_ctl's rule
 * (wait_for_postmaster_stop in src/bin/pg_ctl/pg_ctl.c): postmaster.pid gone, or kill(pid, 0) fails.
 * A stopping postmaster removes postmaster.pid last, just before it exits, so both agree but for a
 * server whose postmaster.pid was deleted under it, which only the process table sees.
 */
async function hasStopped(pid: number, startTime: string | null, pgdata: string | null): Promise<boolean> {
  if (procAvailable()) {
    const st = procStat(pid);
    return (
      st === null ||
      st.state === "Z" ||
      st.state === "X" ||
      (startTime !== null && st.startTime !== startTime)
    );
  }
  if (pgdata !== null && Number((await readPidFile(pgdata))?.[0]) !== pid) return true;
  return !alive(pid);
}

/**
 * Stops the postmaster `pid` as `pg_ctl stop -m fast` does, then escalates: a fast shutdown
 * (SIGINT: ends sessions, writes a shutdown checkpoint, lets walsenders send the last WAL), after
 * `timeoutMs` an immediate one (SIGQUIT: no checkpoint; the next start recovers from the WAL), and
 * after `immediateTimeoutMs` more, PG_STOP_TIMEOUT. Signals: PostgreSQL docs, "Shutting Down the
 * Server" (server-shutdown.html). Resolves once stopped; polls every few ms (a server stops in 5-20 ms).
 * `pgdata` names the server in errors (and is where its postmaster.pid is read without /proc).
 */
export async function stopPostmaster(
  pid: number,
  pgdata: string | null,
  opts: StopOptions = {},
): Promise<void> {
  const startTime = procStat(pid)?.startTime ?? null;
  if (await hasStopped(pid, startTime, pgdata)) return;
  if (!signal(pid, "SIGINT")) return;
  const started = Date.now();
  const fastUntil = started + (opts.timeoutMs ?? 30_000);
  const immediateMs = opts.immediateTimeoutMs ?? 10_000;
  let giveUpAt = Number.POSITIVE_INFINITY;
  while (!(await hasStopped(pid, startTime, pgdata))) {
    const now = Date.now();
    if (now > giveUpAt) {
      const where = pgdata ? `, ${pgdata}` : "";
      throw systemError(
        "PG_STOP_TIMEOUT",
        `PostgreSQL (pid ${pid}${where}) did not stop: ${Math.round((fastUntil - started) / 1000)} s after a fast shutdown request (SIGINT), then ${Math.round(immediateMs / 1000)} s after an immediate one (SIGQUIT).`,
        `See its log${pgdata ? ` (postgresql.log beside ${pgdata})` : ""}. \`kill -KILL ${pid}\` ends it; \`ebdb up\` then recovers the node from its WAL.`,
      );
    }
    if (giveUpAt === Number.POSITIVE_INFINITY && now > fastUntil) {
      if (!signal(pid, "SIGQUIT")) return;
      giveUpAt = now + immediateMs;
    }
    const elapsed = now - started;
    await sleep(elapsed < 500 ? 2 : elapsed < 5000 ? 10 : 50);
  }
}

/**
 * Stops the server of `pgdata` (see stopPostmaster for the escalation and its bounds). Returns
 * whether one was running. A pid file left by a crash is removed, with the crashed server's
 * leftover processes.
 */
export async function stopServer(pgdata: string, opts: StopOptions = {}): Promise<boolean> {
  const s = await inspect(pgdata);
  if (s.state === "crashed") {
    await killOrphans(pgdata);
    await fs.rm(join(pgdata, "postmaster.pid"), { force: true });
    return false;
  }
  if (s.pid === null) return false;
  await stopPostmaster(s.pid, pgdata, opts);
  return true;
}

/** Sends a signal to a running server (SIGHUP reloads its configuration). */
export async function signalServer(pgdata: string, signal: NodeJS.Signals): Promise<boolean> {
  const s = await inspect(pgdata);
  if (s.pid === null) return false;
  process.kill(s.pid, signal);
  return true;
}
