import * as fs from "node:fs/promises";
import { connect } from "node:net";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { systemError } from "../../errors.js";
import { faultPoint } from "./fault.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Layout } from "./layout.js";
import { isAlive, processStart } from "./pid.js";
import { tail } from "./process.js";
import { procAvailable, procStat } from "./proc-scan.js";
import type { ServerUser } from "./server-user.js";
import { spawnDetached } from "./spawn-detached.js";

/**
 * The local PgBouncer's files, in `pooler/` beside the nodes (root's, passable by the server user,
 * like a node's folder): pgbouncer.ini, userlist.txt, the TLS files (the server user's, 0600),
 * pgbouncer.log (root's: PgBouncer writes to the descriptor ebdb hands it) and state.json (root's:
 * the port, and the process ebdb started, so a pid reused by another program is never signalled).
 */
export function poolerDir(l: Layout): string {
  return join(l.dataRoot, "pooler");
}
export const poolerIni = (l: Layout) => join(poolerDir(l), "pgbouncer.ini");
export const poolerLog = (l: Layout) => join(poolerDir(l), "pgbouncer.log");
const stateFile = (l: Layout) => join(poolerDir(l), "state.json");

export interface PoolerRecord {
  port: number;
  /** The process ebdb started last, with its start time (processStart); absent once stopped. */
  pid?: number;
  startTime?: string;
}

export async function readPoolerRecord(l: Layout): Promise<PoolerRecord | null> {
  try {
    const r = JSON.parse((await readFileSafe(stateFile(l))) ?? "null") as PoolerRecord | null;
    return r && Number.isInteger(r.port) ? r : null;
  } catch {
    return null;
  }
}

export async function writePoolerRecord(l: Layout, r: PoolerRecord): Promise<void> {
  await writeFileMode(stateFile(l), `${JSON.stringify(r)}\n`, 0o600);
}

/** A pgbouncer process working on `ini` (its last argument), found in the process table (Linux). */
async function processesOf(ini: string): Promise<number[]> {
  if (process.platform !== "linux") return [];
  const pids: number[] = [];
  for (const p of await fs.readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = (await fs.readFile(`/proc/${p}/cmdline`, "utf8")).split("\0").filter(Boolean);
      if (basename(argv[0] ?? "") === "pgbouncer" && argv.at(-1) === ini) pids.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Alive and not a zombie (a process that exited but whose parent, not ebdb, never reaps it). */
function living(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const st = procStat(pid);
  return st === null ? !procAvailable() : st.state !== "Z" && st.state !== "X";
}

export interface PoolerProcess {
  /** running: the process ebdb started is alive; crashed: its record names a process that is gone. */
  state: "running" | "stopped" | "crashed";
  pid: number | null;
  port: number | null;
}

/** The recorded process, checked against the process table (same pid, same start time). */
export async function inspectPooler(l: Layout): Promise<PoolerProcess> {
  const r = await readPoolerRecord(l);
  if (!r) return { state: "stopped", pid: null, port: null };
  if (r.pid === undefined) return { state: "stopped", pid: null, port: r.port };
  const same = living(r.pid) && (processStart(r.pid) === (r.startTime ?? "") || r.startTime === "");
  return same
    ? { state: "running", pid: r.pid, port: r.port }
    : { state: "crashed", pid: null, port: r.port };
}

const RAISE_NOFILE_THEN_EXEC = `n=$(ulimit -n)
if [ "$n" != unlimited ] && [ "$n" -lt 4096 ]; then ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; fi
exec "$0" "$@"`;

/** Resolves once 127.0.0.1:port accepts a TCP connection, or false after `ms`. */
async function accepts(port: number, ms: number, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !exited()) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: "127.0.0.1", port });
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return true;
    await sleep(10);
  }
  return false;
}

/**
 * Starts PgBouncer in the foreground of a detached process, as the server user, in `pooler/` (its
 * relative paths), logging to pgbouncer.log, and resolves once it accepts connections on `port`.
 * The pid is recorded as soon as the process exists, so an interruption leaves it findable.
 * Errors: PORT_IN_USE (another program took the port), POOLER_START_FAILED (with the log's end).
 */
export async function startPooler(
  l: Layout,
  bin: string,
  user: ServerUser,
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<number> {
  const log = poolerLog(l);
  const before = await fs.stat(log).then(
    (st) => st.size,
    () => 0,
  );
  // Through sh only to raise a soft descriptor limit under 4096 (max_client_conn 1000 needs one per
  // client and server connection; 1024 is the usual default); exec leaves PgBouncer's own argv and pid.
  const child = spawnDetached("/bin/sh", ["-c", RAISE_NOFILE_THEN_EXEC, bin, poolerIni(l)], {
    user,
    cwd: poolerDir(l),
    logFile: log,
  });
  const { pid } = child;
  const exited = () => child.exited();
  faultPoint("pooler:spawned");
  await writePoolerRecord(l, { port, pid, startTime: processStart(pid) });
  if (await accepts(port, opts.timeoutMs ?? 10_000, () => exited() !== null)) return pid;
  const text = (await fs.readFile(log, "utf8").catch(() => "")).slice(before);
  if (exited() === null) await stopPid(pid, 2000);
  await writePoolerRecord(l, { port });
  if (/Address already in use|could not bind|bind\(\)/i.test(text))
    throw systemError("PORT_IN_USE", `PgBouncer could not listen on 127.0.0.1:${port}.`, text.trim());
  throw systemError(
    "POOLER_START_FAILED",
    exited() === null
      ? `PgBouncer did not accept connections on 127.0.0.1:${port} within ${Math.round((opts.timeoutMs ?? 10_000) / 1000)} s.`
      : `PgBouncer exited during start-up (code ${exited()}).`,
    `Its log (${log}):\n${text.trim() || (await tail(log))}`,
  );
}

/** Signals `pid` and waits for it to go, escalating: SIGINT (PgBouncer's safe shutdown), SIGTERM, SIGKILL. */
async function stopPid(pid: number, timeoutMs: number): Promise<void> {
  const start = processStart(pid);
  const gone = () => !living(pid) || processStart(pid) !== start;
  for (const [sig, wait] of [
    ["SIGINT", timeoutMs],
    ["SIGTERM", 2000],
    ["SIGKILL", 2000],
  ] as const) {
    if (gone()) return;
    try {
      process.kill(pid, sig);
    } catch {
      return;
    }
    const until = Date.now() + wait;
    while (!gone() && Date.now() < until) await sleep(5);
  }
  if (!gone())
    throw systemError("POOLER_STOP_TIMEOUT", `PgBouncer (pid ${pid}) did not stop, even on SIGKILL.`);
}

/**
 * Stops the local PgBouncer: the recorded process (if it is still the one ebdb started) and any other
 * pgbouncer working on this project's pgbouncer.ini (left by an interrupted start). SIGINT first,
 * PgBouncer's safe shutdown (transactions in flight finish, within `timeoutMs`). Returns whether one ran.
 */
export async function stopPooler(l: Layout, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const r = await readPoolerRecord(l);
  const p = await inspectPooler(l);
  const pids = new Set(await processesOf(poolerIni(l)));
  if (p.state === "running" && p.pid) pids.add(p.pid);
  await Promise.all([...pids].map((pid) => stopPid(pid, opts.timeoutMs ?? 5000)));
  if (r && r.pid !== undefined) await writePoolerRecord(l, { port: r.port });
  return pids.size > 0;
}

/** pgbouncer processes on this project's ini that ebdb's record does not name (an interrupted start). */
export async function strayPoolers(l: Layout): Promise<number[]> {
  const p = await inspectPooler(l);
  return (await processesOf(poolerIni(l))).filter((pid) => pid !== p.pid);
}

/** Stops the strays (strayPoolers); returns their pids. */
export async function stopStrayPoolers(l: Layout): Promise<number[]> {
  const strays = await strayPoolers(l);
  await Promise.all(strays.map((pid) => stopPid(pid, 2000)));
  return strays;
}

/** SIGHUP: PgBouncer reloads pgbouncer.ini and userlist.txt (new server connections use them). */
export async function reloadPooler(l: Layout): Promise<boolean> {
  const p = await inspectPooler(l);
  if (p.state !== "running" || !p.pid) return false;
  process.kill(p.pid, "SIGHUP");
  return true;
}
