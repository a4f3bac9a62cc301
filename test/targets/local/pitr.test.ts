import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isEbdbError } from "../../../src/errors.js";
import { adminClient, client, makeProject, upProject } from "./harness.js";

/**
 * The point-in-time oracle: rows committed one by one at recorded times, with WAL segment switches
 * and a snapshot between them; a restore to T must hold exactly the rows committed at or before T.
 */
const p = makeProject("pitr");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Commit {
  id: number;
  /** Client clock just before sending the INSERT (its commit is later). */
  sentAt: number;
  /** Client clock once the commit was acknowledged (its commit is earlier). */
  ackedAt: number;
}
const commits: Commit[] = [];
let c: pg.Client;

async function commit(id: number): Promise<void> {
  const sentAt = Date.now();
  await c.query("INSERT INTO events VALUES ($1)", [id]);
  commits.push({ id, sentAt, ackedAt: Date.now() });
  await sleep(40);
}

/** A time strictly between the acknowledgement of `id` and the sending of the next row. */
function between(id: number): Date {
  const i = commits.findIndex((x) => x.id === id);
  const next = commits[i + 1];
  const t = next ? Math.floor((commits[i].ackedAt + next.sentAt) / 2) : commits[i].ackedAt + 20;
  if (next) expect(next.sentAt - commits[i].ackedAt).toBeGreaterThanOrEqual(20);
  return new Date(t);
}

async function rowsOf(port: number): Promise<number[]> {
  const r = await client(p, port);
  try {
    return (await r.query("SELECT id FROM events ORDER BY id")).rows.map((x) => x.id as number);
  } finally {
    await r.end();
  }
}

const times: Record<string, Date> = {};
let snapshotId = "";

beforeAll(async () => {
  await upProject(p);
  c = await client(p);
  // WAL switches need ebdb's own superuser: the master user cannot, as on RDS.
  const admin = await adminClient(p);
  const switchWal = () => admin.query("SELECT pg_switch_wal()");
  await c.query("CREATE TABLE events (id int PRIMARY KEY)");
  await sleep(40);
  for (const id of [1, 2, 3]) await commit(id);
  await switchWal();
  for (const id of [4, 5]) await commit(id);
  await switchWal();
  await commit(6);
  const snap = await p.target.snapshots.create(p.desired, undefined, p.io);
  snapshotId = snap.id;
  await sleep(40);
  for (const id of [7, 8]) await commit(id);
  await switchWal();
  await commit(9);
  await commit(10);
  await admin.end();
  times.beforeAnySwitch = between(2);
  times.rightBeforeSwitch = between(3);
  times.betweenSwitches = between(4);
  times.justBeforeSnapshotRow = between(5);
  times.afterSnapshot = between(7);
  times.afterLastSwitch = between(9);
});
afterAll(async () => {
  await c?.end().catch(() => {});
  await p.cleanup();
});

describe("point-in-time restore (system PostgreSQL 15)", () => {
  test.each([
    ["beforeAnySwitch", 2],
    ["rightBeforeSwitch", 3],
    ["betweenSwitches", 4],
    ["justBeforeSnapshotRow", 5],
    ["afterSnapshot", 7],
    ["afterLastSwitch", 9],
  ])("restore --to-time %s holds exactly the rows committed at or before it", async (key, last) => {
    const t = times[key];
    const name = `${p.config.identifier.slice(0, 20)}-${key.toLowerCase()}`;
    const r = await p.target.restore(p.desired, { kind: "time", time: t }, name, p.io);
    expect(r).toMatchObject({ name, host: "127.0.0.1", restoredTo: t.toISOString() });
    const expected = commits.filter((x) => x.ackedAt < t.getTime()).map((x) => x.id);
    expect(expected.at(-1)).toBe(last);
    expect(await rowsOf(r.port)).toEqual(expected);
    // The original is untouched, and still takes writes.
    expect((await rowsOf((await p.target.connection(p.desired)).port)).length).toBe(10);
  });

  test("restore --from-snapshot holds exactly the data at snapshot time", async () => {
    const r = await p.target.restore(p.desired, { kind: "snapshot", id: snapshotId }, undefined, p.io);
    expect(r.name).toMatch(new RegExp(`^${p.config.identifier}-restored-\\d{14}$`));
    expect(await rowsOf(r.port)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("restore --latest holds every committed row", async () => {
    const r = await p.target.restore(
      p.desired,
      { kind: "latest" },
      `${p.config.identifier.slice(0, 20)}-latest`,
      p.io,
    );
    expect(await rowsOf(r.port)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("a time before the earliest or after the latest restorable time is a user error naming the window", async () => {
    const status = await p.target.status(p.desired);
    const earliest = new Date(status.backups.earliestRestorableTime!);
    for (const t of [new Date(earliest.getTime() - 1000), new Date(Date.now() + 3_600_000)]) {
      const err = await p.target
        .restore(p.desired, { kind: "time", time: t }, undefined, p.io)
        .catch((e) => e);
      expect(isEbdbError(err)).toBe(true);
      expect(err).toMatchObject({ code: "RESTORE_TIME_OUT_OF_RANGE", fault: "user" });
      expect(err.message).toContain(earliest.toISOString());
      expect(err.details.earliestRestorableTime).toBe(earliest.toISOString());
    }
  });

  test("restored instances appear in status (role restored) and the window and backups are shown", async () => {
    const s = await p.target.status(p.desired);
    const restored = s.nodes.filter((n) => n.role === "restored");
    expect(restored.length).toBe(8);
    expect(restored.every((n) => n.state === "running")).toBe(true);
    expect(s.backups.enabled).toBe(true);
    expect(s.backups.list.map((b) => b.kind)).toEqual(["automated", "manual"]);
    expect(s.backups.archive?.state).toBe("ok");
    expect(Date.parse(s.backups.latestRestorableTime!)).toBeGreaterThan(commits.at(-1)!.ackedAt);
  });

  test("a restored instance can be destroyed on its own; the primary cannot be that way", async () => {
    const name = `${p.config.identifier.slice(0, 20)}-latest`;
    await p.target.destroyInstance!(p.desired, name, p.io);
    const s = await p.target.status(p.desired);
    expect(s.nodes.map((n) => n.name)).not.toContain(name);
    expect(s.nodes.filter((n) => n.role === "restored")).toHaveLength(7);
    await expect(p.target.destroyInstance!(p.desired, p.config.identifier, p.io)).rejects.toMatchObject({
      code: "INSTANCE_NOT_FOUND",
    });
  });

  test("a snapshot that does not exist is a user error listing the ones that do", async () => {
    const err = await p.target
      .restore(p.desired, { kind: "snapshot", id: "nope" }, undefined, p.io)
      .catch((e) => e);
    expect(err).toMatchObject({ code: "SNAPSHOT_NOT_FOUND", fault: "user" });
    expect(err.hint).toContain(snapshotId);
  });
});
