import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSession } from "../../../src/targets/local/session.js";
import { client, makeProject, upProject } from "./harness.js";

const DAY = 86_400_000;

describe("backup retention (DB_BACKUP_RETENTION_DAYS=1)", () => {
  const p = makeProject("ret", { backup: { retentionDays: 1, window: "03:00-04:00" } });
  beforeAll(() => upProject(p));
  afterAll(() => p.cleanup());

  test("up expires automated backups older than the window, keeping the one the window starts from", async () => {
    const s = await openSession(p.ctx, p.desired);
    const [today] = readdirSync(s.layout.backupsDir);
    const meta = JSON.parse(readFileSync(join(s.layout.backupsDir, today, "backup.json"), "utf8"));
    // Two older automated backups, as if taken 5 and 3 days ago.
    for (const [id, age] of [
      ["old-5d", 5],
      ["old-3d", 3],
    ] as const) {
      cpSync(join(s.layout.backupsDir, today), join(s.layout.backupsDir, id), { recursive: true });
      const createdAt = new Date(Date.now() - age * DAY).toISOString();
      writeFileSync(join(s.layout.backupsDir, id, "backup.json"), JSON.stringify({ ...meta, id, createdAt }));
    }
    const plan = await upProject(p);
    expect(plan.changes.map((c) => `${c.kind} ${c.action} ${c.resource}`)).toEqual(["backup delete old-5d"]);
    expect((await p.target.snapshots.list(p.desired)).map((b) => b.id).sort()).toEqual(
      ["old-3d", today].sort(),
    );
    expect((await upProject(p)).changes).toEqual([]);
  });

  test("up takes the daily automated backup when the newest is more than a day old", async () => {
    const s = await openSession(p.ctx, p.desired);
    for (const id of readdirSync(s.layout.backupsDir)) {
      const file = join(s.layout.backupsDir, id, "backup.json");
      const meta = JSON.parse(readFileSync(file, "utf8"));
      writeFileSync(
        file,
        JSON.stringify({ ...meta, createdAt: new Date(Date.parse(meta.createdAt) - 2 * DAY).toISOString() }),
      );
    }
    const plan = await upProject(p);
    expect(plan.changes.map((c) => `${c.kind} ${c.action}`)).toContain("backup create");
    const list = await p.target.snapshots.list(p.desired);
    expect(Date.now() - Date.parse(list.at(-1)!.createdAt)).toBeLessThan(60_000);
  });
});

describe("backups off (DB_BACKUP_RETENTION_DAYS=0)", () => {
  const p = makeProject("nobak", { backup: { retentionDays: 0, window: "03:00-04:00" } });
  beforeAll(() => upProject(p));
  afterAll(() => p.cleanup());

  test("status says so, there is no WAL archive and no point-in-time restore; manual snapshots still work", async () => {
    const s = await p.target.status(p.desired);
    expect(s.backups).toMatchObject({
      enabled: false,
      archive: null,
      earliestRestorableTime: null,
      latestRestorableTime: null,
      list: [],
    });
    expect(s.notes.join(" ")).toMatch(/Backups are off/);
    const c = await client(p);
    expect((await c.query("SHOW archive_mode")).rows[0].archive_mode).toBe("off");
    await c.query("CREATE TABLE t (id int)");
    await c.query("INSERT INTO t VALUES (1)");
    await c.end();
    await expect(
      p.target.restore(p.desired, { kind: "time", time: new Date() }, undefined, p.io),
    ).rejects.toMatchObject({
      code: "PITR_DISABLED",
      fault: "user",
    });
    const snap = await p.target.snapshots.create(p.desired, "manual-one", p.io);
    const r = await p.target.restore(p.desired, { kind: "snapshot", id: snap.id }, undefined, p.io);
    const rc = await client(p, r.port);
    expect((await rc.query("SELECT id FROM t")).rows).toEqual([{ id: 1 }]);
    await rc.end();
    await p.target.snapshots.remove(p.desired, "manual-one", p.io);
    await expect(p.target.snapshots.remove(p.desired, "manual-one", p.io)).rejects.toMatchObject({
      code: "SNAPSHOT_NOT_FOUND",
    });
  });

  test("turning backups on later restarts the primary with WAL archiving (asks first: an outage)", async () => {
    p.reconfigure({ backup: { retentionDays: 2, window: "03:00-04:00" } });
    const plan = await upProject(p);
    expect(plan.changes.map((c) => [c.field ?? c.kind, c.impact])).toEqual([
      ["backup.retentionDays", "outage"],
      ["backup", "none"],
    ]);
    const c = await client(p);
    expect((await c.query("SHOW archive_mode")).rows[0].archive_mode).toBe("on");
    await c.end();
    const s = await p.target.status(p.desired);
    expect(s.backups.enabled).toBe(true);
    expect(s.backups.earliestRestorableTime).not.toBeNull();
  });
});
