import { readdirSync, readFileSync } from "node:fs";
import { cpuUtilization } from "../../autoscale/runner-clock.js";
import { clockTicksPerSecond } from "./autoscale-cpu.js";
import { procAvailable } from "./proc-scan.js";

/**
 * The server's CPU for `doctor` and `top`, from the Linux process table (proc(5)): the postmaster
 * and each of its children, one by one. Only processes alive at both ends of the sample count, so
 * the sessions doctor itself opens meanwhile (born after the first sample, or ended and reaped
 * before the second) are not measured as the server's load; backends and background workers that
 * run throughout are.
 */

/** One reading: per process, its start time (clock ticks after boot) and utime + stime (ticks). */
export interface ProcessSample {
  atMs: number;
  procs: Map<number, { start: string; ticks: number }>;
}

function stat(pid: string): { ppid: number; start: string; ticks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields counted from after the command name (which may hold spaces and ")"): rest[0] is field 3.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(rest[n - 3]) || 0;
  return { ppid: field(4), start: rest[22 - 3] ?? "", ticks: field(14) + field(15) };
}

/** The pids of `pid`'s children: proc(5)'s task/<tid>/children, else a scan of /proc. */
function childrenOf(pid: number): number[] {
  try {
    // Every PostgreSQL process is single-threaded: the main thread's list is the process's.
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    const out: number[] = [];
    for (const p of readdirSync("/proc")) {
      if (/^\d+$/.test(p) && stat(p)?.ppid === pid) out.push(Number(p));
    }
    return out;
  }
}

/**
 * The postmaster `pid` and its children now; null where /proc is not available or it is gone. With
 * `same`, the processes of that earlier sample are read again instead (only those count).
 */
export function sampleServerProcesses(pid: number, same?: ProcessSample | null): ProcessSample | null {
  if (!procAvailable()) return null;
  const atMs = Date.now();
  const procs = new Map<number, { start: string; ticks: number }>();
  for (const p of same ? same.procs.keys() : [pid, ...childrenOf(pid)]) {
    const st = stat(String(p));
    if (st && (p === pid || st.ppid === pid)) procs.set(p, { start: st.start, ticks: st.ticks });
  }
  return procs.has(pid) ? { atMs, procs } : null;
}

/**
 * Percent of `vcpus` the processes present in both samples (same pid and start) used between them;
 * null when the postmaster itself changed (a restart) or the window is empty.
 */
export function serverUtilization(before: ProcessSample, after: ProcessSample, vcpus: number): number | null {
  const seconds = (after.atMs - before.atMs) / 1000;
  if (seconds <= 0) return null;
  let ticks = 0;
  let same = 0;
  for (const [pid, a] of before.procs) {
    const b = after.procs.get(pid);
    if (!b || b.start !== a.start || b.ticks < a.ticks) continue;
    ticks += b.ticks - a.ticks;
    same++;
  }
  if (same === 0) return null;
  return cpuUtilization(ticks / clockTicksPerSecond(), seconds, vcpus);
}
