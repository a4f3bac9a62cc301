import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readerCheck, readerVars } from "../../../src/api/autoscale-reader.js";
import { autoscaleStatusLines } from "../../../src/cli/render/autoscale-status.js";
import type { RunnerEvent } from "../../../src/autoscale/runner-types.js";
import { localAutoscaler } from "../../../src/targets/local/autoscale.js";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { stopServer } from "../../../src/targets/local/process.js";
import { openSession } from "../../../src/targets/local/session.js";
import { client, eventually, makeProject, upProject } from "./harness.js";

// The reader address `env`/`exec` hand out (DB_READER_HOST/PORT) must accept a connection whether or
// not `ebdb autoscale run` serves the reader endpoint: one real primary and one real replica.
const p = makeProject("rdirect", { replicas: { enabled: true, count: 1, min: 1, max: 1 } });
const replica = `${p.config.identifier}-replica-1`;
const BIN = resolve(__dirname, "../../../bin/ebdb.js");

/** Connects as the application would to the handed-out address: which server, and is it a standby. */
async function readThrough(vars: Record<string, string>): Promise<{ port: number; standby: boolean }> {
  expect(vars.DB_READER_HOST).toBe("127.0.0.1");
  const c = await client(p, Number(vars.DB_READER_PORT));
  try {
    const r = await c.query<{ port: number; standby: boolean }>(
      "SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby",
    );
    return r.rows[0];
  } finally {
    await c.end();
  }
}

const warnings = () => p.io.messages("warning").filter((m) => m.includes("reader endpoint"));

beforeAll(async () => {
  await upProject(p);
  // The same database as a user's config.env describes it, for the spawned CLI (`npm run build` first).
  writeFileSync(
    join(p.dir, "config.env"),
    `APP_NAME="${p.config.appName}"\nENV_NAME="test"\nDB_ENGINE_VERSION="15.8"\nDB_MULTI_AZ="false"\n` +
      'DB_READ_REPLICA_ENABLED="true"\nDB_READ_REPLICA_COUNT="1"\nDB_READ_REPLICA_MIN_CAPACITY="1"\nDB_READ_REPLICA_MAX_CAPACITY="1"\n',
  );
}, 120_000);
afterAll(async () => {
  await p.cleanup();
}, 60_000);

describe("the reader address env and exec hand out (local)", () => {
  test("without the runner: the replica directly, a note saying so; doctor green saying so; status says running", async () => {
    const replicaPort = (await p.target.status(p.desired)).nodes.find((n) => n.name === replica)!.port;
    const before = warnings().length;
    const vars = await readerVars(p.ctx, p.target, p.desired);
    expect(await readThrough(vars)).toEqual({ port: replicaPort, standby: true });
    const note = warnings().slice(before);
    expect(note).toHaveLength(1);
    expect(note[0]).toMatch(/not served.*replica .*-replica-1 directly.*`ebdb autoscale run`/);
    expect(note[0]).not.toContain("\n");

    // What the user ran: psql through `ebdb exec`, TLS verified (verify-full against the project's CA).
    const psql = spawnSync(
      process.execPath,
      [
        BIN,
        "exec",
        "--",
        "sh",
        "-c",
        'psql -h "$DB_READER_HOST" -p "$DB_READER_PORT" -Atc "SELECT inet_server_port()"',
      ],
      { cwd: p.dir, env: { ...process.env, EBDB_TARGET: "" }, encoding: "utf8", timeout: 30_000 },
    );
    expect(psql.status, psql.stderr).toBe(0);
    expect(psql.stdout.trim()).toBe(String(replicaPort));
    expect(psql.stderr).toMatch(/^warning: the reader endpoint 127\.0\.0\.1:\d+ is not served/m);

    const check = await readerCheck(p.ctx, p.target, p.desired);
    expect(check).toMatchObject({ status: "green", observed: { served: false, port: replicaPort } });
    const status = await localAutoscaler(p.ctx, p.desired).status();
    expect(status.replicas.map((r) => [r.name, r.state])).toEqual([[replica, "running"]]);
    expect(status.reader?.served).toBe(false);
    const text = autoscaleStatusLines(status).join("\n");
    expect(text).toMatch(/not served now .*`ebdb env` names a caught-up replica directly/);
    expect(text).toMatch(new RegExp(`^  ${replica} +running `, "m"));
  });

  test("with the runner: the reader endpoint itself, no note; doctor green", async () => {
    const events: RunnerEvent[] = [];
    const stop = new AbortController();
    const running = localAutoscaler(p.ctx, p.desired).run({
      once: false,
      intervalSeconds: 0.5,
      maxLagSeconds: 5,
      signal: stop.signal,
      onEvent: (e) => events.push(e),
    });
    running.catch(() => {});
    try {
      await eventually(
        async () => events.find((e) => e.kind === "reader" && e.message.includes(`+ ${replica}`)),
        20_000,
      );
      const before = warnings().length;
      const vars = await readerVars(p.ctx, p.target, p.desired);
      const endpointPort = (await localAutoscaler(p.ctx, p.desired).status()).reader!.port;
      expect(Number(vars.DB_READER_PORT)).toBe(endpointPort);
      expect((await readThrough(vars)).standby).toBe(true);
      expect(warnings().length).toBe(before);
      expect((await readerCheck(p.ctx, p.target, p.desired))?.status).toBe("green");
    } finally {
      stop.abort();
      await running.catch(() => {});
    }
  }, 40_000);

  test("nothing answering: doctor red; the replica alone stopped: the primary, doctor yellow; started again, it connects", async () => {
    await p.target.down!(p.desired, p.io);
    const check = await readerCheck(p.ctx, p.target, p.desired);
    expect(check?.status).toBe("red");
    expect(check?.summary).toMatch(/does not accept connections/);
    await upProject(p); // starts the servers again
    // The replica stopped alone: reads go to the primary, which answers; doctor is yellow.
    const s = (await p.target.status(p.desired)).nodes;
    await stopServer(pgdataOf((await openSession(p.ctx, p.desired)).layout, replica), { timeoutMs: 10_000 });
    const toPrimary = await readerVars(p.ctx, p.target, p.desired);
    expect(await readThrough(toPrimary)).toEqual({
      port: s.find((n) => n.role === "primary")!.port,
      standby: false,
    });
    expect(warnings().at(-1)).toMatch(/no replica is running and caught up: .* name the primary/);
    expect((await readerCheck(p.ctx, p.target, p.desired))?.status).toBe("yellow");
    await upProject(p);
    // Right after the start the replica may still be catching up; either way the address connects.
    const got = await readThrough(await readerVars(p.ctx, p.target, p.desired));
    const nodes = (await p.target.status(p.desired)).nodes;
    expect(nodes.map((n) => n.port)).toContain(got.port);
  }, 60_000);
});
