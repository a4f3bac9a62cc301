import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import * as fs from "node:fs/promises";
import { basename, isAbsolute, relative, resolve } from "node:path";

// Reads the Linux process table (/proc, see proc(5)). Elsewhere every function here answers
// "unknown" (null or an empty list), and callers fall back to postmaster.pid alone, as pg_ctl does.

const linux = process.platform === "linux";
const DELETED = " (deleted)";
let mounted: boolean | null = null;

/** Whether this machine's /proc describes processes (Linux with procfs mounted). */
export function procAvailable(): boolean {
  mounted ??= linux && existsSync("/proc/self/stat");
  return mounted;
}

/** A process's state letter (R, S, D, Z, ...), parent and start time in clock ticks since boot. */
export interface ProcStat {
  state: string;
  ppid: number;
  startTime: string;
}

/**
 * /proc/<pid>/stat of a process, or null when no such process exists (or not on Linux). The command
 * name (field 2) may hold spaces and parentheses, so fields are counted from its closing ")".
 * proc(5): field 3 is the state, field 4 the parent's pid, field 22 the start time.
 */
export function procStat(pid: number): ProcStat | null {
  if (!procAvailable()) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0] ?? "?", ppid: Number(rest[1]) || 0, startTime: rest[19] ?? "" };
}

/** Whether `path` lies strictly under `dir` (both absolute). */
export function isUnder(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** A postmaster found in the process table. */
export interface PostmasterProc {
  pid: number;
  /** Its `-D` argument: the data directory it was started on. */
  pgdata: string;
  /** Its working directory (the data directory) was deleted under it: nothing on disk names it any more. */
  deleted: boolean;
}

/** A process of a PostgreSQL server (a backend, checkpointer, ...) working in a directory. */
export interface ServerChild {
  pid: number;
  cwd: string;
  /** Whether its parent is a postmaster; false once that died (killed with -9) and it was left behind. */
  parentIsPostmaster: boolean;
}

// Synchronous on purpose: a scan reads a few small files per process (about 10 µs each), where
// the thread pool's round trips cost ten times that.
function readArgv(pid: string): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return text ? text.split("\0") : null;
  } catch {
    return null;
  }
}

/** The effective uid of a process (its /proc folder's owner); null when it is gone. */
function ownerOf(pid: string): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

function cwdOf(pid: string): { cwd: string; deleted: boolean } | null {
  try {
    const link = readlinkSync(`/proc/${pid}/cwd`);
    return link.endsWith(DELETED)
      ? { cwd: link.slice(0, -DELETED.length), deleted: true }
      : { cwd: link, deleted: false };
  } catch {
    return null;
  }
}

/**
 * Every PostgreSQL server process on this machine that works under `dir`: postmasters whose `-D`
 * argument lies under it (a postmaster keeps its original argv; its children rewrite theirs to
 * "postgres: ..."), and the other server processes whose working directory does (PostgreSQL chdirs
 * to its data directory). Found even when postmaster.pid is gone or the directory was deleted:
 * /proc/<pid>/cwd then reads "<path> (deleted)". Linux only; elsewhere empty.
 */
export async function scanServers(
  dir: string,
  uid?: number,
): Promise<{ postmasters: PostmasterProc[]; children: ServerChild[] }> {
  const postmasters: PostmasterProc[] = [];
  const children: ServerChild[] = [];
  if (!procAvailable()) return { postmasters, children };
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return { postmasters, children };
  }
  const root = resolve(dir);
  const postmasterArgv = (argv: string[]) => basename(argv[0]) === "postgres" && argv.includes("-D");
  const childOfPostmaster = (pid: string) => {
    const ppid = procStat(Number(pid))?.ppid ?? 0;
    const parent = ppid > 1 ? readArgv(String(ppid)) : null;
    return !!parent?.[0] && postmasterArgv(parent);
  };
  for (const p of pids) {
    // Only the project's own server user's: anyone can start a process that claims `-D <ours>`.
    if (uid !== undefined && ownerOf(p) !== uid) continue;
    const argv = readArgv(p);
    if (!argv?.[0]) continue;
    if (postmasterArgv(argv)) {
      const d = argv.indexOf("-D");
      if (!argv[d + 1]) continue;
      const pgdata = resolve(argv[d + 1]);
      if (!isUnder(pgdata, root)) continue;
      // A backend shows its postmaster's argv from fork() until it sets its own title; a
      // postmaster is never a postmaster's child.
      if (childOfPostmaster(p)) continue;
      postmasters.push({ pid: Number(p), pgdata, deleted: cwdOf(p)?.deleted ?? false });
    } else if (argv[0].startsWith("postgres")) {
      const cwd = cwdOf(p);
      if (!cwd || !(isUnder(cwd.cwd, root) || cwd.cwd === root)) continue;
      children.push({ pid: Number(p), cwd: cwd.cwd, parentIsPostmaster: childOfPostmaster(p) });
    }
  }
  postmasters.sort((a, b) => a.pid - b.pid);
  return { postmasters, children };
}

/**
 * The TCP ports a process listens on, from its socket descriptors and /proc/<pid>/net/tcp{,6}
 * (state 0A is LISTEN). Needs the right to read its descriptors (root or its own user); [] otherwise.
 */
export async function listeningPorts(pid: number): Promise<number[]> {
  if (!procAvailable()) return [];
  const inodes = new Set<string>();
  try {
    for (const fd of await fs.readdir(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => ""));
      if (m) inodes.add(m[1]);
    }
  } catch {
    return [];
  }
  const ports = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    const text = await fs.readFile(`/proc/${pid}/net/${table}`, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === "0A" && inodes.has(f[9]))
        ports.add(Number.parseInt(f[1].split(":")[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}
