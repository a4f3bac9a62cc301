import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { Secret } from "../../../src/model/secret.js";
import { readMeta } from "../../../src/targets/local/meta.js";
import { openSession } from "../../../src/targets/local/session.js";
import { client, eventually, makeProject, upProject } from "./harness.js";

const p = makeProject("rrule", { masterPassword: new Secret("First-password-11") });
beforeAll(() => upProject(p));
afterAll(() => p.cleanup());

async function login(port: number, password: string): Promise<string> {
  const c = new pg.Client({
    host: "127.0.0.1",
    port,
    user: p.config.masterUsername,
    password,
    database: p.config.dbName,
    ssl: { rejectUnauthorized: false },
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

describe("restores (local target)", () => {
  test("a snapshot taken before DB_MASTER_PASSWORD changed restores promptly and accepts the current password", async () => {
    const c = await client(p);
    await c.query("CREATE TABLE kept (id int)");
    await c.query("INSERT INTO kept VALUES (1)");
    await c.end();
    const snap = await p.target.snapshots.create(p.desired, "rrule-before", p.io);
    p.reconfigure({ masterPassword: new Secret("Second-password-22") });
    await upProject(p);
    const t0 = Date.now();
    const r = await p.target.restore(
      p.desired,
      { kind: "snapshot", id: snap.id },
      "rrule-after-change",
      p.io,
    );
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(await login(r.port, "Second-password-22")).toBe("ok");
    expect(await login(r.port, "First-password-11")).toMatch(/password authentication failed/);
    const rc = await client(p, r.port);
    expect((await rc.query("SELECT id FROM kept")).rows).toEqual([{ id: 1 }]);
    await rc.end();
    await p.target.destroyInstance!(p.desired, r.name, p.io);
  });

  test("a restore whose port another program takes just before it starts moves on and still recovers", async () => {
    // The race behind "must specify restore_command when standby mode is not enabled": moving to
    // another port rewrote the configuration without the recovery settings.
    const s = await openSession(p.ctx, p.desired);
    const restoring = p.target.restore(p.desired, { kind: "latest" }, "rrule-moved", p.io);
    const meta = await eventually(
      async () => {
        const m = await readMeta(s.layout, "rrule-moved");
        return m?.state === "creating" ? m : undefined;
      },
      30_000,
      1,
    );
    const squatter = createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? resolve() : reject(e)));
      squatter.listen(meta.port, "127.0.0.1", () => resolve());
    });
    try {
      const r = await restoring;
      expect(r.port).not.toBe(meta.port);
      const rc = await client(p, r.port);
      expect((await rc.query("SELECT id FROM kept")).rows).toEqual([{ id: 1 }]);
      await rc.end();
      await p.target.destroyInstance!(p.desired, r.name, p.io);
    } finally {
      squatter.close();
    }
  });

  test("a restore may not take a replica's name, nor one RDS refuses; up never turns it into a replica", async () => {
    for (const name of [`${p.config.identifier}-replica-3`, "abc-", "a--b", "UPPER"]) {
      await expect(p.target.restore(p.desired, { kind: "latest" }, name, p.io)).rejects.toMatchObject({
        code: "BAD_NAME",
      });
    }
    expect((await p.target.status(p.desired)).nodes.map((n) => n.role)).toEqual(["primary"]);
  });

  test("two restores started in the same second get different default names", async () => {
    // The clock stands still (Date only; timers run), so both names are stamped with the same second.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date() });
    try {
      const a = await p.target.restore(p.desired, { kind: "latest" }, undefined, p.io);
      const b = await p.target.restore(p.desired, { kind: "latest" }, undefined, p.io);
      expect(b.name).toBe(`${a.name}-2`);
      for (const r of [a, b]) await p.target.destroyInstance!(p.desired, r.name, p.io);
    } finally {
      vi.useRealTimers();
    }
  });
});
