import { mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSession } from "../../../src/targets/local/session.js";
import { adminClient, client, eventually, makeProject, upProject } from "./harness.js";

/**
 * Every wait in a restore has a bound and says why it gave up. Here the WAL archive has lost the
 * segments the automated backup needs (moved away): recovery ends at the template's state, whose
 * superuser password is not ebdb's, so the restored server refuses ebdb's connections for another
 * reason than starting up. That used to read as "no progress" for 120 s.
 */
describe("a restore whose server refuses ebdb's connections", () => {
  const p = makeProject("rwait");
  beforeAll(async () => {
    await upProject(p);
    const c = await client(p);
    await c.query("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
    await c.end();
    const admin = await adminClient(p);
    await admin.query("SELECT pg_switch_wal()");
    await admin.end();
    const s = await openSession(p.ctx, p.desired);
    await eventually(async () =>
      readdirSync(s.layout.archiveDir).some((f) => /^0{7}10{15}1(\.zst|\.gz)?$/.test(f)) ? true : undefined,
    );
  });
  afterAll(() => p.cleanup());

  test("fails within seconds, naming the refusal and the archive", async () => {
    const s = await openSession(p.ctx, p.desired);
    const aside = mkdtempSync(join(s.layout.dataRoot, "aside-"));
    const moved = readdirSync(s.layout.archiveDir);
    for (const f of moved) renameSync(join(s.layout.archiveDir, f), join(aside, f));
    try {
      const t0 = Date.now();
      const err = await p.target.restore(p.desired, { kind: "latest" }, undefined, p.io).catch((e) => e);
      expect(err).toMatchObject({ code: "RESTORE_FAILED" });
      expect(err.message).toMatch(/refuses ebdb's connections: .*password authentication failed/);
      expect(err.hint).toContain(s.layout.archiveDir);
      expect(Date.now() - t0).toBeLessThan(40_000);
      // Nothing of it is left.
      expect((await p.target.status(p.desired)).nodes.map((n) => n.role)).toEqual(["primary"]);
    } finally {
      for (const f of moved) renameSync(join(aside, f), join(s.layout.archiveDir, f));
      rmSync(aside, { recursive: true, force: true });
    }
  });
});
