import { mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSession } from "../../../src/targets/local/session.js";
import { adminClient, client, eventually, makeProject, upProject } from "./harness.js";

/**
 * `restore --latest` recovers to wherever the archive's WAL runs out, and PostgreSQL says nothing when
 * that is short of the end (it checks only explicit targets). Here one archived segment between the
 * base backup and the last commit is missing: the restore must fail and say so, never hand over an
 * instance holding less than the primary committed.
 */
describe("restore --latest with a segment missing from the archive", () => {
  const p = makeProject("rshort");
  let gap = "";
  beforeAll(async () => {
    await upProject(p);
    const c = await client(p);
    const admin = await adminClient(p);
    await c.query("CREATE TABLE t (g int)");
    // Four segments of rows, each switched out to the archive.
    for (let i = 0; i < 4; i++) {
      await c.query(`INSERT INTO t SELECT g FROM generate_series(${i * 1000 + 1}, ${(i + 1) * 1000}) g`);
      await admin.query("SELECT pg_switch_wal()");
    }
    await c.end();
    await admin.end();
    const s = await openSession(p.ctx, p.desired);
    const archived = () =>
      readdirSync(s.layout.archiveDir)
        .filter((f) => /^[0-9A-F]{24}(\.zst|\.gz)?$/.test(f))
        .sort();
    await eventually(async () => {
      if (archived().length >= 4) return true;
      throw new Error(`archived so far: ${readdirSync(s.layout.archiveDir).join(", ")}`);
    }, 30_000);
    // One in the middle: not the base backup's first, not the last.
    const all = archived();
    gap = all[all.length - 2];
  }, 120_000);
  afterAll(() => p.cleanup());

  test("fails naming the WAL it stopped at and the last commit; nothing of it left", async () => {
    const s = await openSession(p.ctx, p.desired);
    const aside = mkdtempSync(join(s.layout.dataRoot, "aside-"));
    renameSync(join(s.layout.archiveDir, gap), join(aside, gap));
    try {
      const err = await p.target.restore(p.desired, { kind: "latest" }, undefined, p.io).catch((e) => e);
      expect(err).toMatchObject({ code: "RESTORE_FAILED" });
      expect(err.message).toMatch(
        /ended at WAL [0-9A-F]+\/[0-9A-F]+, before [0-9A-F]+\/[0-9A-F]+, where the primary's last commit is/,
      );
      expect((await p.target.status(p.desired)).nodes.map((n) => n.role)).toEqual(["primary"]);
    } finally {
      renameSync(join(aside, gap), join(s.layout.archiveDir, gap));
      rmSync(aside, { recursive: true, force: true });
    }
    // With the segment back, the same restore holds every row.
    const r = await p.target.restore(p.desired, { kind: "latest" }, undefined, p.io);
    const c = await client(p, r.port);
    expect((await c.query<{ n: string }>("SELECT count(*)::text AS n FROM t")).rows[0].n).toBe("4000");
    await c.end();
  }, 120_000);
});
