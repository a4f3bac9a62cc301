import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunnerEvent } from "../../../src/autoscale/runner-types.js";
import { localAutoscaler } from "../../../src/targets/local/autoscale.js";
import { runnerLockFile } from "../../../src/targets/local/autoscale-state.js";
import { isPortFree } from "../../../src/targets/local/ports.js";
import { listMetas } from "../../../src/targets/local/meta.js";
import { openSession } from "../../../src/targets/local/session.js";
import { adminClient, client, eventually, makeProject, upProject } from "./harness.js";

// The Done-when of issue 9 on the local target: a real read load (pgbench -S through the reader
// endpoint) makes the runner add a real replica, the endpoint sends connections to it only once it
// is ready (warmed, caught up), and with the load gone the runner removes it again. A step every
// 0.5 s (each a minute to the policy), cooldowns of 60 policy-seconds (one step).
const PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";
const p = makeProject("asrun", {
  replicas: {
    enabled: true,
    count: 1,
    min: 1,
    max: 2,
    targetCpu: 20,
    scaleInCooldownSeconds: 60,
    scaleOutCooldownSeconds: 60,
  },
});
const replica1 = `${p.config.identifier}-replica-1`;
const replica2 = `${p.config.identifier}-replica-2`;
const events: RunnerEvent[] = [];
const stop = new AbortController();
let running: Promise<void> | null = null;
let readerPort = 0;
let load: ChildProcess | null = null;

function seen(kind: RunnerEvent["kind"], text: string | RegExp): RunnerEvent | undefined {
  return events.find(
    (e) => e.kind === kind && (typeof text === "string" ? e.message.includes(text) : text.test(e.message)),
  );
}

/** libpq's environment for pgbench: the master user, TLS (the local CA is not what this test checks). */
async function pgEnv(port: number): Promise<NodeJS.ProcessEnv> {
  const c = await p.target.connection(p.desired);
  return {
    ...process.env,
    PGHOST: "127.0.0.1",
    PGPORT: String(port),
    PGUSER: c.username,
    PGPASSWORD: c.password.reveal(),
    PGDATABASE: c.dbName,
    PGSSLMODE: "require",
  };
}

/** Which server answers a new connection through the reader endpoint, and whether that one was warmed. */
async function throughEndpoint(): Promise<{ port: number; accountScans: number; atMs: number }> {
  const atMs = Date.now();
  const c = await client(p, readerPort);
  try {
    const r = await c.query<{ port: number; scans: string | null }>(
      `SELECT inet_server_port() AS port,
              (SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'pgbench_accounts')::text AS scans`,
    );
    return { port: r.rows[0].port, accountScans: Number(r.rows[0].scans ?? 0), atMs };
  } finally {
    await c.end();
  }
}

async function replicaNames(): Promise<string[]> {
  const s = await openSession(p.ctx, p.desired);
  return (await listMetas(s.layout)).filter((m) => m.role === "replica").map((m) => m.name);
}

beforeAll(async () => {
  expect(existsSync(PGBENCH), `${PGBENCH} (Debian's postgresql-15 / postgresql-contrib) is needed`).toBe(
    true,
  );
  await upProject(p);
  const init = spawnSync(PGBENCH, ["-i", "-s", "1", "-q"], {
    env: await pgEnv((await p.target.connection(p.desired)).port),
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(init.status, init.stderr).toBe(0);
  const runner = localAutoscaler(p.ctx, p.desired);
  running = runner.run({
    once: false,
    intervalSeconds: 0.5,
    maxLagSeconds: 2,
    signal: stop.signal,
    onEvent: (e) => events.push(e),
  });
  running.catch(() => {});
  const started = await eventually(async () => seen("started", "reader endpoint"), 10_000);
  readerPort = (started.data!.reader as { port: number }).port;
});

afterAll(async () => {
  load?.kill("SIGKILL");
  stop.abort();
  await running?.catch(() => {});
  await p.cleanup();
});

describe("ebdb autoscale run on the local target, under a real read load", () => {
  test("the replica up made joins the reader endpoint once warmed; idle, nothing is added", async () => {
    await eventually(async () => seen("reader", `+ ${replica1}`), 10_000);
    expect(events.findIndex((e) => e.kind === "warmed" && e.message.includes(replica1))).toBeLessThan(
      events.findIndex((e) => e.kind === "reader" && e.message.includes(`+ ${replica1}`)),
    );
    const r1 = (await p.target.status(p.desired)).nodes.find((n) => n.name === replica1)!;
    const via = await throughEndpoint();
    expect(via.port).toBe(r1.port);
    expect(via.accountScans).toBeGreaterThanOrEqual(1); // the warm-up read the largest table
    await eventually(
      async () => (events.filter((e) => e.kind === "step").length >= 3 ? true : undefined),
      10_000,
    );
    expect(events.filter((e) => e.kind === "scale-out")).toEqual([]);
  });

  test("pgbench -S through the endpoint makes it add a replica, which gets connections only once ready", async () => {
    load = spawn(PGBENCH, ["-S", "-n", "-c", "4", "-j", "2", "-T", "60"], {
      env: await pgEnv(readerPort),
      stdio: "ignore",
    });
    // Bounded by pgbench's 60 s: on a machine many times oversubscribed the replica's share of the
    // CPU can stay near the target for a while (seen at a load average of 20 on 2 cores).
    const added = await eventually(async () => seen("scale-out", replica2), 55_000, 50);
    expect(added.message).toMatch(/replicas? wanted/);
    const s = await openSession(p.ctx, p.desired);
    expect((await listMetas(s.layout)).find((m) => m.name === replica2)?.createdBy).toBe("autoscaler");
    // New connections alternate over the ready replicas: replica-2 shows up once it is in.
    const r2port = (await p.target.status(p.desired)).nodes.find((n) => n.name === replica2)!.port!;
    const first = await eventually(
      async () => {
        const v = await throughEndpoint();
        return v.port === r2port ? v : undefined;
      },
      20_000,
      50,
    );
    // It had been warmed (its own statistics show the full read) and the runner said so before.
    expect(first.accountScans).toBeGreaterThanOrEqual(1);
    // The runner warmed it before the endpoint took it (its own log, one clock). Comparing those times
    // with the test's clock is not: a connection the test began just before the join is routed just
    // after it (the CI run at 6d4a9bd saw 20 ms); the scans above show it was warm when reached.
    const joined = seen("reader", `+ ${replica2}`)!;
    expect(Date.parse(seen("warmed", replica2)!.at)).toBeLessThanOrEqual(Date.parse(joined.at));
  }, 120_000);

  test("with the load gone it removes the replica it made, never the one up made", async () => {
    load?.kill("SIGINT");
    const removed = await eventually(async () => seen("scale-in", replica2), 30_000, 50);
    expect(removed.message).toMatch(/would have carried/);
    expect(await replicaNames()).toEqual([replica1]);
    expect(seen("reader", `- ${replica2}`)).toBeDefined();
    const status = await localAutoscaler(p.ctx, p.desired).status();
    expect(status).toMatchObject({ current: 1, ready: 1, desired: 1, minCapacity: 1, maxCapacity: 2 });
    expect(status.runner.state).toBe("running");
    expect(status.activities.map((a) => [a.description, a.statusCode])).toEqual([
      [`Adding replica ${replica2}`, "Successful"],
      [`Removing replica ${replica2}`, "Successful"],
    ]);
    // The step after the removal (steps are 0.5 s apart) finds nothing more to do.
    const after = await eventually(
      async () => {
        const d = (await localAutoscaler(p.ctx, p.desired).status()).decisions.at(-1);
        return d?.action === "none" ? d : undefined;
      },
      10_000,
      100,
    );
    expect(after.action).toBe("none");
    expect(status.metric.points.length).toBeGreaterThan(10);
  });

  test("a replica lagging past the bound leaves the endpoint (reads go to the primary) and comes back", async () => {
    const conn = await p.target.connection(p.desired);
    const r1port = (await p.target.status(p.desired)).nodes.find((n) => n.name === replica1)!.port!;
    const admin = await adminClient(p, r1port);
    try {
      await admin.query("SELECT pg_wal_replay_pause()");
      const w = await client(p);
      await w.query("CREATE TABLE IF NOT EXISTS lagging (x int); INSERT INTO lagging VALUES (1)");
      await w.end();
      await eventually(
        async () => seen("reader", new RegExp(`- ${replica1} \\(lag [\\d.]+ s over the 2 s bound\\)`)),
        15_000,
        50,
      );
      expect((await throughEndpoint()).port).toBe(conn.port);
      await admin.query("SELECT pg_wal_replay_resume()");
      await eventually(
        async () => ((await throughEndpoint()).port === r1port ? true : undefined),
        10_000,
        100,
      );
    } finally {
      await admin.query("SELECT pg_wal_replay_resume()").catch(() => {});
      await admin.end();
    }
  });

  test("stopping ends the runner cleanly: the endpoint closes, the runner's lock is released", async () => {
    stop.abort();
    await running;
    expect(events.at(-1)?.kind).toBe("stopped");
    expect(await isPortFree(readerPort)).toBe(true);
    const s = await openSession(p.ctx, p.desired);
    expect(existsSync(runnerLockFile(s.layout))).toBe(false);
    const status = await localAutoscaler(p.ctx, p.desired).status();
    expect(status.runner.state).toBe("stopped");
    expect(status.reader).toMatchObject({ port: readerPort, served: false, members: [] });
  });
});
