import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpuUtilization } from "../../autoscale/runner-clock.js";
import { procAvailable } from "./proc-scan.js";

/**
 * CPU time of local PostgreSQL servers from the Linux process table (proc(5)): the local stand-in
 * for RDS's CPUUtilization of a replica. A server is its postmaster and the postmaster's children
 * (backends, walreceiver, startup, checkpointer...): their utime + stime, plus cutime + cstime, the
 * time of children they have waited for, so a backend that exited between two samples still counts
 * (the postmaster reaps its backends).
 */

/** A server's CPU clock ticks so far, and what tells its postmaster from a later one with the same pid. */
export interface CpuSample {
  pid: number;
  /** The postmaster's start time (clock ticks after boot, /proc/<pid>/stat field 22). */
  start: string;
  /** utime + stime + cutime + cstime of the postmaster and its children (clock ticks). */
  ticks: number;
  /** When it was read (ms since the epoch). */
  atMs: number;
}

let ticksPerSecond: number | null = null;

/** sysconf(_SC_CLK_TCK), the unit of /proc's times: `getconf CLK_TCK`, else 100 (USER_HZ on every Linux ABI). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  start: string;
  /** utime + stime + cutime + cstime. */
  ticks: number;
}

function readStat(pid: string): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields counted from after the command name, which may hold spaces and ")": rest[0] is field 3.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(rest[n - 3]) || 0;
  return { ppid: field(4), start: rest[22 - 3] ?? "", ticks: field(14) + field(15) + field(16) + field(17) };
}

/**
 * The CPU ticks of each postmaster in `pids` with its children, read in one pass over /proc. A pid
 * whose process is gone is left out. Empty where /proc is not available.
 */
export function sampleServers(pids: readonly number[], atMs = Date.now()): Map<number, CpuSample> {
  const out = new Map<number, CpuSample>();
  if (!procAvailable() || pids.length === 0) return out;
  const wanted = new Set(pids);
  for (const pid of wanted) {
    const st = readStat(String(pid));
    if (st) out.set(pid, { pid, start: st.start, ticks: st.ticks, atMs });
  }
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    const st = readStat(p);
    const parent = st ? out.get(st.ppid) : undefined;
    if (st && parent) parent.ticks += st.ticks;
  }
  return out;
}

/**
 * CPU seconds a server used between two samples; null when they are not of the same postmaster (it
 * restarted) or the count went back (a child's time lost between reads), so no figure is better.
 */
export function cpuSecondsBetween(before: CpuSample, after: CpuSample): number | null {
  if (before.pid !== after.pid || before.start !== after.start) return null;
  const ticks = after.ticks - before.ticks;
  if (ticks < 0) return null;
  return ticks / clockTicksPerSecond();
}

/**
 * Samples the servers `running` (by name, with their postmaster's pid) and returns each one's
 * CPUUtilization (0-100 of `vcpus`) since its sample in `samples`, which it replaces with the new one.
 * A server without an earlier sample of the same postmaster gets its first sample and no figure.
 */
export function utilizationSince(
  samples: Record<string, CpuSample>,
  running: readonly { name: string; pid: number }[],
  vcpus: number,
): Map<string, number> {
  const now = sampleServers(running.map((r) => r.pid));
  const out = new Map<string, number>();
  for (const r of running) {
    const after = now.get(r.pid);
    if (!after) continue;
    const before = samples[r.name];
    const seconds = before ? cpuSecondsBetween(before, after) : null;
    if (before && seconds !== null)
      out.set(r.name, cpuUtilization(seconds, (after.atMs - before.atMs) / 1000, vcpus));
    samples[r.name] = after;
  }
  return out;
}
