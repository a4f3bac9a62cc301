import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLOCK_MARGIN_MS, type Entry, planSharedCopy } from "../../../src/targets/local/backup-copy.js";
import { usageFile } from "../../../src/targets/local/disk-usage.js";
import { openSession } from "../../../src/targets/local/session.js";
import { adminClient, client, makeProject, upProject } from "./harness.js";

describe("which files a snapshot shares with the previous one (pure)", () => {
  const start = Date.parse("2026-01-01T00:00:10Z");
  const f = (path: string, size: number, atMs: number): Entry => ({
    type: "f",
    size,
    mtime: (atMs / 1000).toFixed(9),
    path,
  });
  const old = start - 5_000;
  test("links only relation files unchanged in size and time, written before the previous copy began", () => {
    const prev = [
      f("base/5/1259", 8192, old),
      f("base/5/2000", 8192, old),
      f("base/5/2001", 8192, old),
      f("base/5/2002", 8192, start - CLOCK_MARGIN_MS + 5),
      f("global/pg_control", 8192, old),
      f("pg_xact/0000", 8192, old),
    ];
    const now = [
      { type: "d", size: 0, mtime: "0", path: "base" },
      f("base/5/1259", 8192, old), // unchanged: linked
      f("base/5/2000", 8192, old + 1), // written since (same size): copied
      f("base/5/2001", 16384, old), // other size: copied
      f("base/5/2002", 8192, start - CLOCK_MARGIN_MS + 5), // written as the copy began: copied
      f("base/5/2003", 8192, old), // new: copied
      f("global/pg_control", 8192, old), // never shared
      f("pg_xact/0000", 8192, old), // not a relation file
    ];
    expect(planSharedCopy(now, prev, start)).toEqual({
      dirs: ["base"],
      link: ["base/5/1259"],
      copy: ["base/5/2000", "base/5/2001", "base/5/2002", "base/5/2003", "global/pg_control", "pg_xact/0000"],
    });
    expect(planSharedCopy(now, prev, null).link).toEqual([]);
  });
});

/**
 * Snapshots share unchanged relation files (hard links) yet each restores exactly its own data,
 * and deleting one leaves the others whole. One primary for every case.
 */
describe("snapshots that share unchanged files", () => {
  const p = makeProject("share");
  let c: pg.Client;
  let admin: pg.Client;
  const snapData = (s: { layout: { backupsDir: string } }, id: string) =>
    join(s.layout.backupsDir, id, "data");

  async function facts(port: number) {
    const r = await client(p, port);
    try {
      const kept = (
        await r.query(
          "SELECT count(*)::int AS n, md5(string_agg(id || ':' || v, ',' ORDER BY id)) AS h FROM kept",
        )
      ).rows[0];
      const changed = (await r.query("SELECT count(*)::int AS n, sum(v)::int AS s FROM changed")).rows[0];
      return { kept, changed };
    } finally {
      await r.end();
    }
  }
  async function restored(source: { kind: "snapshot"; id: string } | { kind: "time"; time: Date }) {
    const r = await p.target.restore(p.desired, source, undefined, p.io);
    try {
      return await facts(r.port);
    } finally {
      await p.target.destroyInstance!(p.desired, r.name, p.io);
    }
  }

  beforeAll(async () => {
    await upProject(p);
    c = await client(p);
    admin = await adminClient(p);
    await c.query("CREATE TABLE kept (id int PRIMARY KEY, v text)");
    await c.query("INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 30000) g");
    // Half-full pages: an update fits beside the old row, so the file keeps its size.
    await c.query("CREATE TABLE changed (id int, v int) WITH (fillfactor = 50)");
    await c.query("INSERT INTO changed SELECT g, 1 FROM generate_series(1, 2000) g");
    await c.query("VACUUM ANALYZE");
    await admin.query("CHECKPOINT");
  });
  afterAll(async () => {
    await c?.end().catch(() => {});
    await admin?.end().catch(() => {});
    await p.cleanup();
  });

  test("a second snapshot links the unchanged table, copies the one changed in place, and restores each exactly", async () => {
    const s = await openSession(p.ctx, p.desired);
    // The tables live in the application database.
    const appAdmin = await adminClient(p, undefined, p.config.dbName);
    const keptFile = (await appAdmin.query<{ f: string }>("SELECT pg_relation_filepath('public.kept') AS f"))
      .rows[0].f;
    const changedFile = (
      await appAdmin.query<{ f: string }>("SELECT pg_relation_filepath('public.changed') AS f")
    ).rows[0].f;
    await appAdmin.end();

    const before = await facts((await p.target.connection(p.desired)).port);
    await p.target.snapshots.create(p.desired, "share-a", p.io);
    await c.query("UPDATE changed SET v = v + 1");
    const after = await facts((await p.target.connection(p.desired)).port);
    expect(after.changed.s).toBe(before.changed.s + 2000);
    await p.target.snapshots.create(p.desired, "share-b", p.io);

    const a = snapData(s, "share-a");
    const b = snapData(s, "share-b");
    expect(statSync(join(b, keptFile)).ino).toBe(statSync(join(a, keptFile)).ino);
    // Same size, other contents: size alone would have shared it wrongly.
    expect(statSync(join(b, changedFile)).size).toBe(statSync(join(a, changedFile)).size);
    expect(statSync(join(b, changedFile)).ino).not.toBe(statSync(join(a, changedFile)).ino);
    const meta = JSON.parse(readFileSync(join(s.layout.backupsDir, "share-b", "backup.json"), "utf8"));
    expect(meta.sharedBytes).toBeGreaterThanOrEqual(statSync(join(a, keptFile)).size);

    expect(await restored({ kind: "snapshot", id: "share-a" })).toEqual(before);
    expect(await restored({ kind: "snapshot", id: "share-b" })).toEqual(after);

    // Deleting the older leaves the newer whole (its links keep the files).
    await p.target.snapshots.remove(p.desired, "share-a", p.io);
    expect(statSync(join(b, keptFile)).nlink).toBe(1);
    expect(await restored({ kind: "snapshot", id: "share-b" })).toEqual(after);
  });

  test("a third snapshot shares with the second; deleting the second, the third restores exactly, and point-in-time restore from it holds", async () => {
    const s = await openSession(p.ctx, p.desired);
    await c.query("INSERT INTO changed SELECT g, 7 FROM generate_series(2001, 2100) g");
    await p.target.snapshots.create(p.desired, "share-c", p.io);
    const meta = JSON.parse(readFileSync(join(s.layout.backupsDir, "share-c", "backup.json"), "utf8"));
    expect(meta.sharedBytes).toBeGreaterThan(0);
    const atC = await facts((await p.target.connection(p.desired)).port);
    await p.target.snapshots.remove(p.desired, "share-b", p.io);
    expect(await restored({ kind: "snapshot", id: "share-c" })).toEqual(atC);

    await c.query("UPDATE changed SET v = 0 WHERE id <= 10");
    await new Promise((r) => setTimeout(r, 50));
    const t = new Date();
    const atT = await facts((await p.target.connection(p.desired)).port);
    await new Promise((r) => setTimeout(r, 50));
    await c.query("DELETE FROM kept WHERE id > 100");
    expect(await restored({ kind: "time", time: t })).toEqual(atT);
  });

  test("status reads the backups' space without walking them: shared files count once", async () => {
    const s = await openSession(p.ctx, p.desired);
    const st = await p.target.status(p.desired);
    const usage = JSON.parse(readFileSync(usageFile(s), "utf8"));
    expect(st.backups.space?.backupsBytes).toBe(usage.bytes);
    expect(st.backups.space?.archiveBytes).toBeGreaterThan(0);
    // What du says, a hard link once: the record is not stale after the deletions above.
    const du = spawnSync("du", ["-s", "-x", "-B1", s.layout.backupsDir], { encoding: "utf8" });
    expect(Math.abs(Number(du.stdout.split("\t")[0]) - usage.bytes)).toBeLessThan(64 * 1024);
    expect(st.notes.find((n) => n.startsWith("Disk:"))).toMatch(/base backups [\d.]+ MiB/);
  });
});
