import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { up } from "../../../src/api/up.js";
import type { CommandContext } from "../../../src/api/context.js";
import { RecordingIoHost } from "../../../src/io.js";
import { client, makeProject } from "./harness.js";

// The new-user trial: DB_ENGINE_VERSION 15.x → 16.8 was planned as an outage needing --yes, then
// skipped as "Not applicable to the local target", and every later up (unattended: exit 2) asked again.
const p = makeProject("majv");
const write = (version: string) =>
  writeFileSync(
    join(p.dir, "config.env"),
    [
      `APP_NAME="${p.config.appName}"`,
      'ENV_NAME="test"',
      `DB_ENGINE_VERSION="${version}"`,
      'DB_READ_REPLICA_ENABLED="false"',
      'DB_MULTI_AZ="false"',
      "",
    ].join("\n"),
  );
/** `ebdb up` without a terminal and without --yes: every question is answered no. */
const unattended = () => {
  const io = new RecordingIoHost(false);
  const ctx: CommandContext = { ...p.ctx, io };
  return { io, run: () => up(ctx) };
};

beforeAll(async () => {
  write("15.8");
  await up({ ...p.ctx, io: new RecordingIoHost(true) });
}, 120_000);
afterAll(() => p.cleanup());

describe("a major version change on the local target", () => {
  test("is refused with the way out, asks nothing, and up succeeds, every time", async () => {
    write("16.8");
    for (let i = 0; i < 2; i++) {
      const { io, run } = unattended();
      const r = await run();
      expect(io.questions).toEqual([]);
      expect(r.applied).toBe(0);
      expect(r.plan.changes.filter((c) => c.field === "engineVersion")).toEqual([]);
      const refused = r.plan.refused.find((c) => c.field === "engineVersion");
      expect(refused?.from).toMatch(/^15\./);
      expect(refused?.to).toBe("16.8");
      expect(refused?.reason).toMatch(/does not change PostgreSQL's major version in place \(15 → 16\)/);
      expect(refused?.reason).toMatch(/Keep DB_ENGINE_VERSION at 15 \(15\.\d+ runs now\)/);
      expect(refused?.reason).toContain("pg_dump");
      expect(
        io.messages("warning").some((m) => m.startsWith("Not done: The local target does not change")),
      ).toBe(true);
      expect(io.messages("warning").some((m) => /Not applicable to the local target/.test(m))).toBe(false);
      expect(io.messages("result")).toEqual([
        expect.stringMatching(/nothing applied; 1 change\(s\) refused/),
      ]);
    }
    // The database is untouched and still answers.
    const c = await client(p);
    try {
      expect((await c.query("SHOW server_version_num")).rows[0].server_version_num).toMatch(/^15/);
    } finally {
      await c.end();
    }
  }, 120_000);
});
