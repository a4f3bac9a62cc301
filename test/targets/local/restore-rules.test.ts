import pg from "pg";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { Secret } from "../../../src/model/secret.js";
import { client, makeProject, upProject } from "./harness.js";

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
