import { spawn } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import pg from "pg";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isEbdbError } from "../../../src/errors.js";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { metaFile } from "../../../src/targets/local/meta.js";
import { openSession } from "../../../src/targets/local/session.js";
import { client, eventually, makeProject, upProject } from "./harness.js";

const p = makeProject("crash");

async function primary() {
  return (await p.target.status(p.desired)).nodes[0];
}

beforeAll(async () => {
  await upProject(p);
  const c = await client(p);
  await c.query("CREATE TABLE acks (id int PRIMARY KEY)");
  await c.end();
});
afterAll(() => p.cleanup());

describe("crashes and reboots (system PostgreSQL 15)", () => {
  test("kill -9 of the primary while a client commits rows one by one; up; every acknowledged row is there", async () => {
    const c = await client(p);
    const acknowledged: number[] = [];
    const pid = (await primary()).pid!;
    let killed = false;
    let failure: unknown = null;
    for (let id = 1; id <= 5000; id++) {
      if (id === 150) {
        process.kill(pid, "SIGKILL");
        killed = true;
      }
      try {
        await c.query("INSERT INTO acks VALUES ($1)", [id]);
        acknowledged.push(id);
      } catch (e) {
        failure = e;
        break;
      }
    }
    expect(killed).toBe(true);
    expect(failure).not.toBeNull();
    expect(acknowledged.length).toBeGreaterThanOrEqual(149);
    await c.end().catch(() => {});

    await eventually(async () => ((await primary()).state === "crashed" ? true : undefined));
    const plan = await upProject(p);
    expect(plan.changes.map((x) => [x.resource, x.field, x.from])).toEqual([
      [p.config.identifier, "state", "crashed"],
    ]);
    const after = await client(p);
    const rows = (await after.query("SELECT id FROM acks ORDER BY id")).rows.map((r) => r.id as number);
    await after.end();
    // Every acknowledged commit survived (one in flight when the server died may be there too).
    expect(rows.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect(rows.length - acknowledged.length).toBeLessThanOrEqual(1);
  });

  test("after a reboot (processes gone, a stale postmaster.pid whose pid now belongs to another program) up starts it", async () => {
    const s = await openSession(p.ctx, p.desired);
    const pgdata = pgdataOf(s.layout, p.config.identifier);
    const before = readFileSync(join(pgdata, "postmaster.pid"), "utf8").split("\n");
    process.kill(Number(before[0]), "SIGKILL");
    await eventually(async () => ((await primary()).state === "crashed" ? true : undefined));
    // A different program now has the pid that postmaster.pid names.
    const impostor = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(join(pgdata, "postmaster.pid"), [String(impostor.pid), ...before.slice(1)].join("\n"));
      expect((await primary()).state).toBe("crashed");
      const plan = await upProject(p);
      expect(plan.changes.map((x) => x.field)).toEqual(["state"]);
      expect((await primary()).state).toBe("running");
      const c = await client(p);
      expect((await c.query("SELECT count(*)::int AS n FROM acks")).rows[0].n).toBeGreaterThan(0);
      await c.end();
    } finally {
      impostor.kill();
    }
    expect((await upProject(p)).changes).toEqual([]);
  });

  test("down stops everything and keeps the data; up starts it again", async () => {
    await p.target.down!(p.desired, p.io);
    expect((await primary()).state).toBe("stopped");
    const plan = await upProject(p);
    expect(plan.changes.map((x) => [x.field, x.from])).toEqual([["state", "stopped"]]);
    const c = await client(p);
    expect((await c.query("SELECT count(*)::int AS n FROM acks")).rows[0].n).toBeGreaterThan(0);
    await c.end();
  });

  test("logs --follow shows what the server writes, until stopped", async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of p.target.logs!(p.desired, { follow: true, lines: 1, signal: stop.signal }))
        seen.push(chunk);
    })();
    await new Promise((r) => setTimeout(r, 300));
    const conn = await p.target.connection(p.desired);
    const bad = new pg.Client({
      host: "127.0.0.1",
      port: conn.port,
      user: "nobody",
      password: "x",
      database: "app",
      ssl: { rejectUnauthorized: false },
    });
    await bad.connect().catch(() => {});
    await eventually(
      async () =>
        seen.join("").includes('password authentication failed for user "nobody"') ? true : undefined,
      5000,
    );
    stop.abort();
    await reading;
  });

  test("a primary whose data directory is gone is a clear error, never replaced by an empty one", async () => {
    const s = await openSession(p.ctx, p.desired);
    const pgdata = pgdataOf(s.layout, p.config.identifier);
    await p.target.down!(p.desired, p.io);
    renameSync(pgdata, `${pgdata}.aside`);
    try {
      await expect(upProject(p)).rejects.toMatchObject({ code: "PRIMARY_MISSING", fault: "user" });
    } finally {
      renameSync(`${pgdata}.aside`, pgdata);
    }
    await upProject(p);
    expect((await primary()).state).toBe("running");
  });

  test("a primary marked half-created that holds tables is a clear error, and nothing is deleted", async () => {
    const s = await openSession(p.ctx, p.desired);
    const file = metaFile(s.layout, p.config.identifier);
    const meta = readFileSync(file, "utf8");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(meta), state: "creating" }));
    try {
      const err = await upProject(p).catch((e) => e);
      expect(isEbdbError(err)).toBe(true);
      expect(err).toMatchObject({ code: "PRIMARY_HALF_CREATED", fault: "user" });
      expect(err.message).toMatch(/holds \d+ table/);
      expect(err.hint).toMatch(/pg_dump.*ebdb destroy --yes/);
    } finally {
      writeFileSync(file, meta);
    }
    expect((await primary()).state).toBe("running");
  });
});
