import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { logFileOf, nodeDir, pgdataOf } from "../../../src/targets/local/layout.js";
import { listMetas } from "../../../src/targets/local/meta.js";
import { procStat, scanServers } from "../../../src/targets/local/proc-scan.js";
import { inspect, stopServer } from "../../../src/targets/local/process.js";
import { openSession, type Session } from "../../../src/targets/local/session.js";
import { client, eventually, makeProject, type Project, upProject } from "./harness.js";

// Issue 7, item 20: `down` judges a server stopped as pg_ctl does (and a zombie as stopped), stops
// every node at once, escalates from a fast to an immediate shutdown, and returns even when the
// servers' parent never reaps them (a container whose PID 1 is Node, a CI subreaper).

const linux = process.platform === "linux";

/**
 * A parent that never reaps: forks `postgres -D <pgdata>` for each data directory (as the server
 * user), prints the pids, then sleeps with SIGCHLD at its default (no automatic reaping) and never
 * calls wait(). Its servers stay zombies after they exit, until this helper itself is killed.
 */
const NEVER_REAPS = `
import os, sys, time, signal
signal.signal(signal.SIGCHLD, signal.SIG_DFL)
uid, gid, postgres = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
args = sys.argv[4:]
for pgdata, log in zip(args[0::2], args[1::2]):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        if os.getuid() == 0 and uid != 0:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        os.chdir(pgdata)
        os.execv(postgres, [postgres, "-D", pgdata])
    print(pid, flush=True)
while True:
    time.sleep(3600)
`;

function withinMs<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`did not return within ${ms} ms`)), ms)),
  ]);
}

async function startUnderNonReapingParent(s: Session, helpers: ChildProcess[]): Promise<number[]> {
  const bins = await s.binaries();
  const metas = await listMetas(s.layout);
  const args = metas.flatMap((m) => [pgdataOf(s.layout, m.name), logFileOf(s.layout, m.name)]);
  const helper = spawn(
    "python3",
    ["-c", NEVER_REAPS, String(s.user.uid), String(s.user.gid), `${bins.bindir}/postgres`, ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" },
    },
  );
  helpers.push(helper);
  let out = "";
  helper.stdout!.on("data", (d) => {
    out += String(d);
  });
  const pids = await eventually(async () => {
    const ps = out.split("\n").filter(Boolean).map(Number);
    return ps.length === metas.length ? ps : undefined;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await Promise.all(metas.map((m) => inspect(pgdataOf(s.layout, m.name))));
    if (states.every((x) => x.state === "running")) return pids;
    const exited = await Promise.all(pids.map(async (pid) => [pid, procStat(pid)?.state] as const));
    if (Date.now() > deadline || exited.some(([, st]) => st === undefined || st === "Z")) {
      const logs = metas.map(
        (m) =>
          `${m.name}:\n${readFileSync(logFileOf(s.layout, m.name), "utf8").split("\n").slice(-8).join("\n")}`,
      );
      throw new Error(
        `servers under the non-reaping parent did not all become ready: ${JSON.stringify({ states, exited })}\n${logs.join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!linux)("stopping servers (local target)", () => {
  let p: Project;
  let s: Session;
  const helpers: ChildProcess[] = [];

  beforeAll(async () => {
    p = makeProject("stop", { replicas: { enabled: true, count: 1, min: 1, max: 1 } });
    await upProject(p);
    s = await openSession(p.ctx, p.desired);
  }, 120_000);
  afterAll(async () => {
    for (const h of helpers.splice(0)) h.kill("SIGKILL");
    await p?.cleanup();
  });

  test("down returns at once when the servers' parent never reaps them (zombies count as stopped)", async () => {
    await p.target.down!(p.desired, p.io);
    let pids: number[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        pids = await startUnderNonReapingParent(s, helpers);
        break;
      } catch (e) {
        // Another program (the machine is shared) took a port while the nodes were down: stop what
        // did start, let `up` move the node to a free port, and try again.
        if (attempt >= 3 || !/Address already in use/.test(String(e))) throw e;
        await p.target.down!(p.desired, p.io);
        for (const h of helpers.splice(0)) h.kill("SIGKILL");
        await upProject(p);
        await p.target.down!(p.desired, p.io);
      }
    }
    const t0 = Date.now();
    await withinMs(15_000, p.target.down!(p.desired, p.io));
    const took = Date.now() - t0;
    // Both servers exited; their parent has not collected them, so they are zombies: the case that
    // made `down` wait forever.
    for (const pid of pids) expect(procStat(pid)?.state).toBe("Z");
    expect(took).toBeLessThan(5_000);
    const st = await p.target.status(p.desired);
    expect(st.nodes.map((n) => n.state)).toEqual(["stopped", "stopped"]);
    for (const h of helpers.splice(0)) h.kill("SIGKILL");
  }, 60_000);

  test("all nodes stop at once and nothing committed is lost: the replica catches up at its next start", async () => {
    await upProject(p);
    const c = await client(p);
    await c.query("CREATE TABLE IF NOT EXISTS stopped_together (id int PRIMARY KEY, pad text)");
    await c.query("INSERT INTO stopped_together SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
    const { rows } = await c.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
    await c.end();
    // `down` right after the commit: the replica may stop before it has received all of it.
    await p.target.down!(p.desired, p.io);
    for (const m of await listMetas(s.layout))
      expect((await inspect(pgdataOf(s.layout, m.name))).state).toBe("stopped");
    await upProject(p);
    const replica = (await listMetas(s.layout)).find((m) => m.role === "replica")!;
    const r = await client(p, replica.port);
    try {
      // Caught up first, then counted in a later statement: one statement's snapshot is taken before
      // its replay LSN is read, so together they could see the commit replayed yet not its rows.
      await eventually(async () => {
        const q = await r.query<{ caught: boolean }>(
          "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught",
          [rows[0].lsn],
        );
        return q.rows[0].caught ? true : undefined;
      }, 30_000);
      const count = Number(
        (await r.query<{ n: string }>("SELECT count(*)::text AS n FROM stopped_together")).rows[0].n,
      );
      expect(count).toBe(20000);
    } finally {
      await r.end();
    }
  }, 120_000);

  test("a fast shutdown that hangs is escalated to an immediate one after the timeout", async () => {
    await upProject(p);
    const metas = await listMetas(s.layout);
    const primary = metas.find((m) => m.role === "primary")!;
    const replica = metas.find((m) => m.role === "replica")!;
    // Freeze the replica's WAL receiver: the primary's fast shutdown then waits for its walsender
    // to hand over the last WAL (up to wal_sender_timeout, 60 s by default).
    const { children } = await scanServers(nodeDir(s.layout, replica.name));
    const receivers = children.filter((ch) => {
      try {
        return readFileSync(`/proc/${ch.pid}/cmdline`, "utf8").includes("walreceiver");
      } catch {
        return false;
      }
    });
    expect(receivers.length).toBe(1);
    process.kill(receivers[0].pid, "SIGSTOP");
    try {
      const c = await client(p);
      await c.query("CREATE TABLE IF NOT EXISTS escalate (id int)");
      await c.query("INSERT INTO escalate SELECT generate_series(1, 1000)");
      await c.end();
      const t0 = Date.now();
      await withinMs(15_000, stopServer(pgdataOf(s.layout, primary.name), { timeoutMs: 500 }));
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(500);
      expect(took).toBeLessThan(10_000);
      const log = readFileSync(logFileOf(s.layout, primary.name), "utf8");
      expect(log).toMatch(/received fast shutdown request[\s\S]*received immediate shutdown request/);
    } finally {
      process.kill(receivers[0].pid, "SIGCONT");
    }
    // The immediate shutdown lost nothing committed: the primary recovers from its WAL.
    await upProject(p);
    const c = await client(p);
    expect((await c.query("SELECT count(*)::int AS n FROM escalate")).rows[0].n).toBe(1000);
    await c.end();
  }, 120_000);

  test("a server that ignores both requests gives a clear error within the bound, naming its pid", async () => {
    await upProject(p);
    const primary = (await listMetas(s.layout)).find((m) => m.role === "primary")!;
    const pgdata = pgdataOf(s.layout, primary.name);
    const pid = (await inspect(pgdata)).pid!;
    process.kill(pid, "SIGSTOP");
    try {
      const t0 = Date.now();
      const err = await withinMs(
        10_000,
        stopServer(pgdata, { timeoutMs: 300, immediateTimeoutMs: 300 }),
      ).then(
        () => null,
        (e: unknown) => e as { code?: string; message: string; hint?: string },
      );
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(err?.code).toBe("PG_STOP_TIMEOUT");
      expect(err?.message).toContain(`pid ${pid}`);
      expect(err?.hint).toContain(`kill -KILL ${pid}`);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    // Once it runs again, the signals it was sent take effect: it stops.
    await eventually(async () => (procStat(pid) === null ? true : undefined), 15_000);
  }, 60_000);
});
