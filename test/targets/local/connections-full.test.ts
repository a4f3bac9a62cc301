import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { statusLines } from "../../../src/cli/commands/status.js";
import { adminClient, client, makeProject, upProject } from "./harness.js";

// Item 12 of issue 7: with the application holding every connection it may have, `status` said the
// primary was "running" and also "not running", with the archive "unknown". It must say what is
// true: running, refusing new connections (too many clients, N/M), and what it knows of the rest —
// first through ebdb's reserved superuser slots, then, with those taken too, from outside.

const p = makeProject("conns", { backup: { retentionDays: 1 } });
const held: pg.Client[] = [];

beforeAll(async () => {
  await upProject(p);
});
afterAll(async () => {
  await Promise.all(held.map((c) => c.end().catch(() => {})));
  await p.cleanup();
});

async function report() {
  return p.target.status(p.desired);
}

describe("a full connection table", () => {
  test("the application holds all it may (97 of 100): status, through ebdb's reserved slot, says so", async () => {
    for (let i = 0; i < 97; i++) held.push(await client(p));
    await expect(client(p)).rejects.toThrow(/remaining connection slots are reserved/);
    const r = await report();
    expect(r.nodes[0]).toMatchObject({
      state: "running",
      refusing: "too many clients",
      connections: { used: 97, max: 100, reservedForSuperuser: 3 },
    });
    const notes = r.notes.join("\n");
    expect(notes).toMatch(
      /is running but refuses new connections: too many clients \(97\/100 connections in use/,
    );
    expect(notes).not.toMatch(/not running|could not query/);
    expect(r.backups.archive!.state).toBe("ok");
    expect(r.backups.latestRestorableTime).not.toBeNull();
    const text = statusLines(r).join("\n");
    expect(text).toMatch(/running, refusing: too many clients \(97\/100\)/);
  });

  test("and something takes ebdb's reserved slots too: status says the same from outside, never 'not running'", async () => {
    for (let i = 0; i < 3; i++) held.push(await adminClient(p));
    const r = await report();
    expect(r.nodes[0]).toMatchObject({
      state: "running",
      refusing: "too many clients",
      connections: { used: 100, max: 100, reservedForSuperuser: 3 },
    });
    const notes = r.notes.join("\n");
    expect(notes).toMatch(/is running but refuses new connections: too many clients \(100\/100/);
    expect(notes).toMatch(/The primary is running but ebdb could not query it \(too many clients\)/);
    expect(notes).not.toMatch(/primary is not running/);
    // Nothing waits to be archived and no failure is logged: the archive keeps up.
    expect(r.backups.archive).toMatchObject({ state: "ok", failedCount: 0, waiting: 0 });
    expect(statusLines(r).join("\n")).toMatch(/running, refusing: too many clients \(100\/100\)/);
  });

  test("once connections are closed, status is plain again", async () => {
    await Promise.all(held.splice(0).map((c) => c.end()));
    const r = await report();
    expect(r.nodes[0]).toMatchObject({ state: "running", refusing: null });
    expect(r.nodes[0].connections!.used).toBeLessThan(5);
    expect(r.notes.join("\n")).not.toMatch(/refuses/);
  });
});
