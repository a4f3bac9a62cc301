import { setTimeout as sleep } from "node:timers/promises";
import type { OrphanServer } from "../target.js";
import { type Layout, pgdataOf } from "./layout.js";
import { listMetas } from "./meta.js";
import { listeningPorts, type PostmasterProc, scanServers } from "./proc-scan.js";
import { inspect, type StopOptions, stopPostmaster } from "./process.js";
import type { ServerUser } from "./server-user.js";

/**
 * Stops every PostgreSQL server running from a data directory under `dir`, found in the process
 * table by its `-D` argument, even when its postmaster.pid is gone or its directory was deleted
 * under it; and ends leftover processes of dead servers still working there (SIGKILL, as
 * startServer does: their postmaster is gone, and they would hold its shared memory). Call it
 * before deleting or rebuilding anything that may hold a data directory: a server whose directory
 * is deleted keeps running, and its port, until it notices its lock file is gone (within a minute).
 *
 * The servers stop concurrently (fast shutdown, then immediate; bounds as in stopPostmaster);
 * throws PG_STOP_TIMEOUT if one cannot be stopped. Returns the postmasters it stopped. Linux only
 * (it needs /proc); elsewhere it returns [] and the callers' stopServer on the data directories
 * they know is all there is.
 */
export async function stopServersUnder(
  dir: string,
  user: ServerUser,
  opts: StopOptions = {},
): Promise<PostmasterProc[]> {
  const { postmasters, children } = await scanServers(dir, user.uid);
  for (const c of children.filter((c) => c.parentIsPostmaster === false)) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  await Promise.all(postmasters.map((p) => stopPostmaster(p.pid, p.pgdata, opts)));
  return postmasters;
}

/**
 * Servers running from under the project's nodes directory that no node owns: a node owns the
 * postmaster that its data directory's postmaster.pid names, when that directory still exists.
 * Anything else (a node.json removed, a directory deleted or rebuilt under a live server) is an
 * orphan: it holds a port and memory, and no other command would see it. Linux only ([] elsewhere).
 */
export async function findOrphanServers(layout: Layout, user: ServerUser): Promise<OrphanServer[]> {
  const unowned = async (): Promise<PostmasterProc[]> => {
    const { postmasters } = await scanServers(layout.nodesDir, user.uid);
    if (postmasters.length === 0) return [];
    const owned = new Set<number>();
    for (const m of await listMetas(layout)) {
      const pid = (await inspect(pgdataOf(layout, m.name))).pid;
      if (pid !== null) owned.add(pid);
    }
    return postmasters.filter((p) => p.deleted || !owned.has(p.pid));
  };
  let found = await unowned();
  if (found.length === 0) return [];
  // A server that another command is starting writes its postmaster.pid a few ms after it
  // appears: look again before calling it an orphan.
  await sleep(200);
  const again = new Set((await unowned()).map((p) => p.pid));
  found = found.filter((p) => again.has(p.pid));
  return Promise.all(found.map(describe));
}

/** An orphan as `status` shows it: its port from its sockets, else from its postmaster.pid if that still names it. */
async function describe(p: PostmasterProc): Promise<OrphanServer> {
  let port: number | null = (await listeningPorts(p.pid))[0] ?? null;
  if (port === null && !p.deleted) {
    const own = await inspect(p.pgdata);
    if (own.pid === p.pid) port = own.port;
  }
  return {
    pid: p.pid,
    port,
    dataDirectory: p.pgdata,
    directoryDeleted: p.deleted,
    fix: `\`ebdb down\` or \`ebdb destroy\` stops it (or \`kill -INT ${p.pid}\`).`,
  };
}
