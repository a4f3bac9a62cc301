import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Secret } from "../../../src/model/secret.js";
import { diff } from "../../../src/plan/diff.js";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { stopServer } from "../../../src/targets/local/process.js";
import { setPasswordSql } from "../../../src/targets/local/roles.js";
import { openSession } from "../../../src/targets/local/session.js";
import { adminClient, makeProject, upProject } from "./harness.js";

/**
 * An instance's port now: `up` starts a stopped one on another port when its own was taken meanwhile
 * (the machine is shared), so a port remembered from before an `up` may be another server's or none.
 */
async function portNow(name: string): Promise<number> {
  const node = (await p.target.status(p.desired)).nodes.find((n) => n.name === name);
  if (!node?.port) throw new Error(`${name} has no port now`);
  return node.port;
}

// The new-user trial: up, restore, change DB_MASTER_PASSWORD, up; then `psql --instance <restored>`
// failed with "password authentication failed" because the restored instance kept the old password.
const p = makeProject("rpass", { masterPassword: new Secret("First-password-11") });
beforeAll(() => upProject(p), 120_000);
afterAll(() => p.cleanup());

async function login(port: number, password: string): Promise<string> {
  const c = new pg.Client({
    host: "127.0.0.1",
    port,
    user: p.config.masterUsername,
    password,
    database: p.config.dbName,
    ssl: { rejectUnauthorized: false },
    connectionTimeoutMillis: 10_000,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    return "ok";
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

async function plan() {
  return diff(p.desired, await p.target.observe(p.desired));
}

describe("restored instances follow the master password (local target)", () => {
  let running = { name: "", port: 0 };
  let stopped = { name: "", port: 0 };

  test("up with a new DB_MASTER_PASSWORD sets it on the restored instances too, and the plan names them", async () => {
    const snap = await p.target.snapshots.create(p.desired, "rpass-base", p.io);
    running = await p.target.restore(p.desired, { kind: "snapshot", id: snap.id }, "rpass-running", p.io);
    stopped = await p.target.restore(p.desired, { kind: "snapshot", id: snap.id }, "rpass-stopped", p.io);
    const s = await openSession(p.ctx, p.desired);
    await stopServer(pgdataOf(s.layout, stopped.name), { timeoutMs: 30_000 });

    p.reconfigure({ masterPassword: new Secret("Second-password-22") });
    const before = await plan();
    const pw = before.changes.find((c) => c.field === "password");
    expect(pw?.reason).toContain(
      `on ${p.desired.identifier} and on restored instances rpass-running, rpass-stopped`,
    );
    await upProject(p);

    for (const r of [running, stopped]) {
      const port = await portNow(r.name);
      expect(await login(port, "Second-password-22")).toBe("ok");
      expect(await login(port, "First-password-11")).toMatch(/password authentication failed/);
    }
    // Converged: nothing more to do.
    expect((await plan()).changes).toEqual([]);
  }, 180_000);

  test("a restored instance left with an older password (an earlier ebdb) is planned and fixed by up", async () => {
    const c = await adminClient(p, await portNow(running.name));
    try {
      await c.query(setPasswordSql(p.config.masterUsername, new Secret("First-password-11")));
    } finally {
      await c.end();
    }
    const before = await plan();
    expect(before.changes.map((x) => x.reason)).toEqual([
      expect.stringMatching(
        /^Sets the current master password on restored instance rpass-running, which kept an older one/,
      ),
    ]);
    await upProject(p);
    expect(await login(await portNow(running.name), "Second-password-22")).toBe("ok");
    expect((await plan()).changes).toEqual([]);
  }, 120_000);

  test("one stopped with an older password gets the current one when up starts it", async () => {
    // Stopped, its password cannot be read: up starts it, and then gives it the current one.
    const c = await adminClient(p, await portNow(stopped.name));
    try {
      await c.query(setPasswordSql(p.config.masterUsername, new Secret("First-password-11")));
    } finally {
      await c.end();
    }
    const s = await openSession(p.ctx, p.desired);
    await stopServer(pgdataOf(s.layout, stopped.name), { timeoutMs: 30_000 });
    const before = await plan();
    expect(before.changes.map((x) => x.field)).toEqual(["state"]);
    await upProject(p);
    expect(await login(await portNow(stopped.name), "Second-password-22")).toBe("ok");
    expect((await plan()).changes).toEqual([]);
  }, 120_000);
});
