import { readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Secret } from "../../../src/model/secret.js";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { metaFile } from "../../../src/targets/local/meta.js";
import { openSession } from "../../../src/targets/local/session.js";
import { client, eventually, makeProject, upProject } from "./harness.js";

// PostgreSQL 15 from the system installation, a primary and one streaming replica.
const p = makeProject("repl", { replicas: { enabled: true, count: 1, min: 1, max: 1 }, slowQueryMs: 1000 });
const replica1 = `${p.config.identifier}-replica-1`;
const replica2 = `${p.config.identifier}-replica-2`;

function doneReasons(): string[] {
  return p.io.events.flatMap((e) => (e.type === "change-done" ? [e.change.reason] : []));
}
async function nodes() {
  return (await p.target.status(p.desired)).nodes;
}
async function node(name: string) {
  const n = (await nodes()).find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}
async function readsRow(port: number, id: number): Promise<boolean> {
  const c = await client(p, port);
  try {
    return (await c.query("SELECT 1 FROM items WHERE id = $1", [id])).rows.length === 1;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  const plan = await upProject(p);
  expect(plan.changes.map((c) => `${c.kind} ${c.action}`)).toEqual(["instance create", "replica create"]);
  const c = await client(p);
  await c.query("CREATE TABLE items (id int PRIMARY KEY, note text)");
  await c.end();
});
afterAll(() => p.cleanup());

describe("local target with a replica (system PostgreSQL 15)", () => {
  test("a row written on the primary is read on the replica within 5 s, and status shows the lag", async () => {
    const c = await client(p);
    await c.query("INSERT INTO items VALUES (1, 'first')");
    await c.end();
    const started = Date.now();
    const replica = await node(replica1);
    await eventually(async () => ((await readsRow(replica.port!, 1)) ? true : undefined), 5000, 10);
    expect(Date.now() - started).toBeLessThan(5000);
    const shown = await eventually(async () => {
      const n = await node(replica1);
      return n.lagBytes !== null ? n : undefined;
    });
    expect(shown).toMatchObject({ role: "replica", state: "running", host: "127.0.0.1" });
    expect(shown.lagBytes).toBeGreaterThanOrEqual(0);
    expect(shown.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(shown.pid).toBeGreaterThan(0);
  });

  test("the replica is read-only", async () => {
    const c = await client(p, (await node(replica1)).port!);
    await expect(c.query("INSERT INTO items VALUES (99, 'no')")).rejects.toThrow(/read-only/);
    await c.end();
  });

  test("a second up changes nothing", async () => {
    const plan = await upProject(p);
    expect(plan.changes).toEqual([]);
  });

  test("only TLS connections with the password are accepted, from 127.0.0.1", async () => {
    const conn = await p.target.connection(p.desired);
    const plain = new pg.Client({
      host: "127.0.0.1",
      port: conn.port,
      user: conn.username,
      password: conn.password.reveal(),
      database: conn.dbName,
    });
    await expect(plain.connect()).rejects.toThrow(/no pg_hba.conf entry|SSL/i);
    const wrong = new pg.Client({
      host: "127.0.0.1",
      port: conn.port,
      user: conn.username,
      password: "wrong",
      database: conn.dbName,
      ssl: { rejectUnauthorized: false },
    });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    const c = await client(p);
    const r = await c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    expect(r.rows[0].ssl).toBe(true);
    const settings = await c.query(
      "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'log_min_duration_statement', 'shared_preload_libraries', 'password_encryption')",
    );
    expect(Object.fromEntries(settings.rows.map((x) => [x.name, x.setting]))).toEqual({
      listen_addresses: "127.0.0.1",
      log_min_duration_statement: "1000",
      shared_preload_libraries: "pg_stat_statements",
      password_encryption: "scram-sha-256",
    });
    expect((await c.query("SELECT count(*)::int AS n FROM pg_stat_statements")).rows[0].n).toBeGreaterThan(0);
    await c.end();
  });

  test("the password is generated as the spec says and kept in a 0600 file", async () => {
    const s = await openSession(p.ctx, p.desired);
    const pw = readFileSync(s.layout.passwordFile, "utf8");
    expect(pw).toMatch(/^[A-Za-z0-9\-_.~]{35}$/);
    const { statSync } = await import("node:fs");
    expect(statSync(s.layout.passwordFile).mode & 0o777).toBe(0o600);
    // Passable but not listable as root (the application reads ca.crt there), owner-only otherwise.
    expect(statSync(s.layout.stateDir).mode & 0o777).toBe(s.user.switchUser ? 0o711 : 0o700);
    expect(statSync(join(s.layout.stateDir, "ca.crt")).mode & 0o777).toBe(0o644);
    // Never in a server's arguments.
    for (const n of await nodes()) {
      const cmdline = readFileSync(`/proc/${n.pid}/cmdline`, "utf8");
      expect(cmdline).not.toContain(pw);
    }
  });

  test("a changed slow-query threshold is applied with ALTER SYSTEM and a reload", async () => {
    p.reconfigure({ slowQueryMs: 250 });
    const plan = await upProject(p);
    expect(plan.changes.map((c) => c.field)).toEqual(["parameters.log_min_duration_statement"]);
    const c = await client(p);
    expect((await c.query("SHOW log_min_duration_statement")).rows[0].log_min_duration_statement).toBe(
      "250ms",
    );
    await c.end();
    expect(await upProject(p)).toMatchObject({ changes: [] });
  });

  test("kill -9 of the replica: up restarts it and says so", async () => {
    process.kill((await node(replica1)).pid!, "SIGKILL");
    await eventually(async () => ((await node(replica1)).state === "crashed" ? true : undefined));
    const plan = await upProject(p);
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({
      resource: replica1,
      field: "state",
      from: "crashed",
      to: "running",
    });
    expect(doneReasons()).toContain(`Started ${replica1} on 127.0.0.1:${(await node(replica1)).port}`);
    expect((await node(replica1)).state).toBe("running");
    expect(await readsRow((await node(replica1)).port!, 1)).toBe(true);
  });

  test("a changed replica count adds a replica (online copy) and removes it again with its slot", async () => {
    p.reconfigure({ replicas: { enabled: true, count: 2, min: 2, max: 2 } });
    const grow = await upProject(p);
    expect(grow.changes.map((c) => `${c.kind} ${c.action} ${c.resource}`)).toEqual([
      `replica create ${replica2}`,
    ]);
    const r2 = await node(replica2);
    expect(r2.state).toBe("running");
    expect(await readsRow(r2.port!, 1)).toBe(true);

    p.reconfigure({ replicas: { enabled: true, count: 1, min: 1, max: 1 } });
    const shrink = await upProject(p);
    expect(shrink.changes.map((c) => `${c.kind} ${c.action} ${c.resource}`)).toEqual([
      `replica delete ${replica2}`,
    ]);
    expect((await nodes()).map((n) => n.name)).toEqual([p.config.identifier, replica1]);
    const c = await client(p);
    const slots = await c.query("SELECT slot_name FROM pg_replication_slots ORDER BY 1");
    expect(slots.rows.map((r) => r.slot_name)).toEqual([replica1.replace(/-/g, "_")]);
    await c.end();
  });

  test("a replica left half-created by an interrupted run is rebuilt", async () => {
    const s = await openSession(p.ctx, p.desired);
    await p.target.down!(p.desired, p.io);
    const meta = JSON.parse(readFileSync(metaFile(s.layout, replica1), "utf8"));
    writeFileSync(metaFile(s.layout, replica1), JSON.stringify({ ...meta, state: "creating" }));
    await rm(join(pgdataOf(s.layout, replica1), "PG_VERSION"));
    const plan = await upProject(p);
    expect(plan.changes.map((c) => `${c.resource} ${c.field}`).sort()).toEqual([
      `${p.config.identifier} state`,
      `${replica1} rebuild`,
    ]);
    expect((await node(replica1)).state).toBe("running");
    expect(await readsRow((await node(replica1)).port!, 1)).toBe(true);
  });

  test("a new DB_MASTER_PASSWORD is set on the primary, in the password file and for the replica", async () => {
    p.reconfigure({ masterPassword: new Secret("N3w-Passw0rd:with\\odd#chars") });
    const plan = await upProject(p);
    expect(plan.changes.map((c) => `${c.kind} ${c.field}`)).toEqual(["secret password"]);
    const s = await openSession(p.ctx, p.desired);
    expect(readFileSync(s.layout.passwordFile, "utf8")).toBe("N3w-Passw0rd:with\\odd#chars");
    const c = await client(p);
    await c.query("INSERT INTO items VALUES (2, 'after the new password')");
    await c.end();
    // The replica reconnects with the new password after a restart of the primary.
    await p.target.down!(p.desired, p.io);
    await upProject(p);
    const port = (await node(replica1)).port!;
    await eventually(async () => ((await readsRow(port, 2)) ? true : undefined), 5000);
    expect((await upProject(p)).changes).toEqual([]);
  });

  test("after a reboot, a port taken by another program: the replica moves to the next free port", async () => {
    await p.target.down!(p.desired, p.io);
    const taken = (await node(replica1)).port!;
    const squatter = createServer();
    // Another program on this shared machine may have taken it already: the premise holds either way.
    await new Promise<void>((resolve, reject) => {
      squatter.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? resolve() : reject(e)));
      squatter.listen(taken, "127.0.0.1", () => resolve());
    });
    try {
      const plan = await upProject(p);
      expect(plan.changes.map((c) => c.field)).toEqual(["state", "state"]);
      const moved = await node(replica1);
      expect(moved.state).toBe("running");
      expect(moved.port).not.toBe(taken);
      expect(doneReasons().at(-1)).toMatch(new RegExp(`port ${taken} was taken: now on ${moved.port}`));
      expect(await readsRow(moved.port!, 1)).toBe(true);
    } finally {
      squatter.close();
    }
    expect((await upProject(p)).changes).toEqual([]);
  });
});
