import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { statusLines } from "../../../src/cli/commands/status.js";
import { logFileOf, pgdataOf } from "../../../src/targets/local/layout.js";
import { stopServer } from "../../../src/targets/local/process.js";
import { openSession } from "../../../src/targets/local/session.js";
import type { Project } from "./harness.js";
import { adminClient, client, eventually, makeProject, upProject } from "./harness.js";

// Item 11 of issue 7: a stopped replica's slot must not fill the disk. max_slot_wal_keep_size is a
// tenth of DB_ALLOCATED_STORAGE; status shows the WAL each slot holds and says when one is lost;
// the replica catches up from the WAL archive (backups on) or is rebuilt (backups off), and `up`
// makes it stream again. Real servers (system PostgreSQL 15, 1 MiB WAL segments).

const MiB = 1024 * 1024;

async function slotOf(p: Project, replica: string) {
  const r = await p.target.status(p.desired);
  const slot = r.replicationSlots?.find((x) => x.replica === replica);
  if (!slot) throw new Error(`no slot for ${replica}: ${JSON.stringify(r.replicationSlots)}`);
  return { slot, report: r };
}

async function portOf(p: Project, name: string): Promise<number> {
  const n = (await p.target.status(p.desired)).nodes.find((x) => x.name === name);
  return n!.port!;
}

async function readsRow(p: Project, port: number, id: number): Promise<boolean> {
  const c = await client(p, port);
  try {
    return (await c.query("SELECT 1 FROM items WHERE id = $1", [id])).rows.length === 1;
  } finally {
    await c.end();
  }
}

/** About `mib` MiB of WAL on the primary (rows of 1000 bytes). */
async function writeWal(p: Project, mib: number, firstId: number): Promise<void> {
  const c = await client(p);
  await c.query(
    "INSERT INTO items SELECT g, repeat('x', 1000) FROM generate_series($1::int, $1::int + $2::int - 1) g",
    [firstId, mib * 900],
  );
  await c.end();
}

/** Lowers the cap as the test's own superuser would (ALTER SYSTEM), so a few MiB of WAL pass it. */
async function lowerCap(p: Project): Promise<void> {
  const a = await adminClient(p);
  await a.query("ALTER SYSTEM SET max_slot_wal_keep_size = '2MB'");
  await a.query("ALTER SYSTEM SET wal_keep_size = 0");
  await a.query("SELECT pg_reload_conf()");
  await a.end();
}

/** Writes WAL and checkpoints (slots are invalidated at checkpoints) until the replica's slot is lost. */
async function loseSlot(p: Project, replica: string, firstId: number): Promise<void> {
  let id = firstId;
  await eventually(
    async () => {
      await writeWal(p, 3, id);
      id += 3 * 900;
      const a = await adminClient(p);
      // A new segment each time: with 16 MiB segments the cap (2 MB) is passed only once the
      // checkpoint's redo point is in a later segment than the slot's, which 3 MiB may not reach.
      await a.query("SELECT pg_switch_wal()");
      await a.query("CHECKPOINT");
      await a.end();
      return (await slotOf(p, replica)).slot.lost ? true : undefined;
    },
    90_000,
    10,
  );
}

describe("replication slots with backups on (WAL archive)", () => {
  const p = makeProject("slots", {
    replicas: { enabled: true, count: 1, min: 1, max: 1 },
    backup: { retentionDays: 1 },
    storage: { allocatedGiB: 30 },
  });
  const replica = `${p.config.identifier}-replica-1`;

  beforeAll(async () => {
    await upProject(p);
    const c = await client(p);
    await c.query("CREATE TABLE items (id int PRIMARY KEY, note text)");
    await c.end();
  });
  afterAll(() => p.cleanup());

  test("the cap is a tenth of DB_ALLOCATED_STORAGE, and the replica can restore WAL from the archive", async () => {
    const a = await adminClient(p);
    const cap = await a.query("SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'");
    expect(cap.rows[0].setting).toBe(String(Math.floor(30 * 1024 * 0.1)));
    await a.end();
    const s = await openSession(p.ctx, p.desired);
    const r = await adminClient(p, await portOf(p, replica));
    const rc = (await r.query("SHOW restore_command")).rows[0].restore_command as string;
    await r.end();
    expect(rc).toContain(s.layout.archiveDir);
  });

  test("status shows the WAL a stopped replica's slot holds, growing as the primary writes", async () => {
    const before = await eventually(async () => {
      const { slot } = await slotOf(p, replica);
      return slot.active ? slot : undefined;
    });
    expect(before).toMatchObject({ walStatus: "reserved", lost: false, capBytes: 3072 * MiB });
    expect(before.heldBytes).toBeGreaterThanOrEqual(0);

    const s = await openSession(p.ctx, p.desired);
    await stopServer(pgdataOf(s.layout, replica));
    await writeWal(p, 4, 1);
    const { slot, report } = await slotOf(p, replica);
    expect(slot.active).toBe(false);
    expect(slot.heldBytes! - (before.heldBytes ?? 0)).toBeGreaterThan(3 * MiB);
    expect(slot.safeBytes).toBeGreaterThan(0);
    const text = statusLines(report).join("\n");
    expect(text).toMatch(new RegExp(`${slot.name}\\s+${replica}\\s+inactive\\s+holds \\d+\\.\\d MiB`));
  });

  test("past the cap the slot is lost and status says so; up brings the replica back and it catches up from the archive", async () => {
    await lowerCap(p);
    const c = await client(p);
    await c.query("INSERT INTO items VALUES (-1, 'written while the replica was away')");
    await c.end();
    await loseSlot(p, replica, 10_000);
    const { slot, report } = await slotOf(p, replica);
    expect(slot).toMatchObject({ lost: true, walStatus: "lost", heldBytes: null, capBytes: 2 * MiB });
    expect(report.notes.join("\n")).toMatch(
      new RegExp(`Replication slot ${slot.name} of ${replica} was lost.*catches up from the WAL archive`),
    );
    expect(statusLines(report).join("\n")).toMatch(/LOST/);

    const plan = await upProject(p);
    expect(plan.changes.map((x) => `${x.resource} ${x.field}`).sort()).toEqual([
      `${replica} slot`,
      `${replica} state`,
    ]);
    const port = await portOf(p, replica);
    await eventually(async () => ((await readsRow(p, port, -1)) ? true : undefined), 30_000, 50);
    // And it streams again through a slot that holds WAL for it.
    await writeWal(p, 1, 100_000);
    await eventually(async () => ((await readsRow(p, port, 100_000)) ? true : undefined), 10_000, 20);
    // From the archive: the primary had removed the WAL the replica needed.
    const s = await openSession(p.ctx, p.desired);
    expect(readFileSync(logFileOf(s.layout, replica), "utf8")).toMatch(
      /restored log file "[0-9A-F]{24}" from archive/,
    );
    const after = (await slotOf(p, replica)).slot;
    expect(after).toMatchObject({ lost: false, active: true });
    expect((await upProject(p)).changes).toEqual([]);
  }, 180_000);

  test("a node made without the cap gets it from up, by a reload (no restart)", async () => {
    const a = await adminClient(p);
    await a.query("ALTER SYSTEM RESET max_slot_wal_keep_size");
    await a.query("SELECT pg_reload_conf()");
    await a.end();
    const s = await openSession(p.ctx, p.desired);
    const conf = join(pgdataOf(s.layout, p.config.identifier), "postgresql.conf");
    const text = readFileSync(conf, "utf8");
    writeFileSync(conf, text.replace(/^max_slot_wal_keep_size = .*\n/m, ""));
    const pid = (await p.target.status(p.desired)).nodes[0].pid;
    const plan = await upProject(p);
    expect(plan.changes).toEqual([
      expect.objectContaining({
        resource: p.config.identifier,
        field: "conf",
        impact: "none",
        reason: expect.stringContaining("max_slot_wal_keep_size = 3072MB"),
      }),
    ]);
    expect((await p.target.status(p.desired)).nodes[0].pid).toBe(pid);
    const b = await adminClient(p);
    await eventually(async () => {
      const r = await b.query("SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'");
      return r.rows[0].setting === "3072" ? true : undefined;
    });
    await b.end();
  });
});

describe("replication slots with backups off (no archive)", () => {
  const p = makeProject("slotsoff", {
    replicas: { enabled: true, count: 1, min: 1, max: 1 },
    backup: { retentionDays: 0 },
  });
  const replica = `${p.config.identifier}-replica-1`;

  beforeAll(async () => {
    await upProject(p);
    const c = await client(p);
    await c.query("CREATE TABLE items (id int PRIMARY KEY, note text)");
    await c.end();
  });
  afterAll(() => p.cleanup());

  test("a lost slot: status says up rebuilds the replica; up rebuilds it and it reads what was written", async () => {
    const s = await openSession(p.ctx, p.desired);
    await stopServer(pgdataOf(s.layout, replica));
    await lowerCap(p);
    const c = await client(p);
    await c.query("INSERT INTO items VALUES (-1, 'written while the replica was away')");
    await c.end();
    await loseSlot(p, replica, 10_000);
    const { report } = await slotOf(p, replica);
    expect(report.notes.join("\n")).toMatch(/no archive to catch up from: `ebdb up` rebuilds/);
    const plan = await upProject(p);
    expect(plan.changes.map((x) => `${x.resource} ${x.field}`)).toEqual([`${replica} rebuild`]);
    expect(await readsRow(p, await portOf(p, replica), -1)).toBe(true);
    expect((await slotOf(p, replica)).slot.lost).toBe(false);
  }, 180_000);
});
