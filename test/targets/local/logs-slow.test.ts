import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { logs, parseSince } from "../../../src/api/logs.js";
import { main } from "../../../src/cli/main.js";
import { RecordingIoHost } from "../../../src/io.js";
import { LogFilter } from "../../../src/targets/local/log-filter.js";
import { captureOutput } from "../../fixtures/output.js";

// `ebdb logs --slow --since --follow` on a real PostgreSQL 15 (one server for the file), and the
// filter itself on log text as the local servers write it.
const dir = mkdtempSync(join(tmpdir(), "ebdb-logs-"));
const env = { ...process.env, EBDB_TARGET: "" };
const app = `logs${process.pid % 10000}`;
const ctx: CommandContext = { cwd: dir, env, io: new RecordingIoHost(true), target: "local" };

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}
async function sql(text: string): Promise<void> {
  const url = JSON.parse((await ebdb("env", "--format", "json")).out).DATABASE_URL as string;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="false"',
      'DB_SLOW_QUERY_MS="100"',
      "",
    ].join("\n"),
  );
  const up = await ebdb("up");
  expect(up.code, up.err).toBe(0);
}, 120_000);
afterAll(async () => {
  await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("the log filter", () => {
  const log = [
    "2026-11-30 06:00:00.100 UTC [10] LOG:  database system is ready to accept connections",
    "2026-11-30 06:00:01.000 UTC [11] app@app LOG:  duration: 250.120 ms  statement: SELECT *",
    "\tFROM orders",
    '2026-11-30 06:00:02.000 UTC [11] app@app ERROR:  relation "x" does not exist',
    "2026-11-30 06:00:03.000 UTC [12] app@app LOG:  duration: 120.000 ms  execute <unnamed>: SELECT 1",
    "",
  ].join("\n");

  test("--slow keeps the duration entries whole (a multi-line statement too), across chunk boundaries", () => {
    const f = new LogFilter({ slow: true });
    const out = f.push(log.slice(0, 130)) + f.push(log.slice(130));
    expect(out.split("\n")).toEqual([log.split("\n")[1], "\tFROM orders", log.split("\n")[4], ""]);
  });

  test("--since keeps what was logged from then on", () => {
    const f = new LogFilter({ since: new Date("2026-11-30T06:00:02Z") });
    expect(f.push(log).split("\n").filter(Boolean)).toHaveLength(2);
  });

  test("--since takes a zoned time or a duration back, and refuses anything else (exit 2)", () => {
    const now = new Date("2026-11-30T06:00:00Z");
    expect(parseSince("15m", now).toISOString()).toBe("2026-11-30T05:45:00.000Z");
    expect(parseSince("2026-11-29T12:00:00+02:00", now).toISOString()).toBe("2026-11-29T10:00:00.000Z");
    for (const bad of ["yesterday", "2026-11-29T12:00:00", "5 parsecs"])
      expect(() => parseSince(bad, now)).toThrow(
        expect.objectContaining({ code: "BAD_SINCE", fault: "user" }),
      );
  });
});

describe("ebdb logs on the local target", () => {
  test("--slow shows the slow statements only; --since after them shows none; --follow brings the next one", async () => {
    await sql("SELECT pg_sleep(0.3) AS first_slow");
    const slow = await ebdb("logs", "--slow");
    expect(slow.code, slow.err).toBe(0);
    const lines = slow.out.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/LOG: {2}duration: \d+\.\d+ ms {2}(statement|execute)/);
    expect(slow.out).toContain("first_slow");
    expect((await ebdb("logs")).out).toMatch(/database system is ready/);

    const after = new Date(Date.now() + 1000).toISOString();
    expect((await ebdb("logs", "--slow", "--since", after)).out.trim()).toBe("");
    expect((await ebdb("logs", "--since", "soon")).code).toBe(2);

    const stop = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of await logs(ctx, {
        slow: true,
        follow: true,
        since: new Date(),
        signal: stop.signal,
      }))
        seen.push(chunk);
    })();
    await sql("SELECT pg_sleep(0.3) AS second_slow");
    const deadline = Date.now() + 10_000;
    while (!seen.join("").includes("second_slow") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await reading;
    expect(seen.join("")).toContain("second_slow");
    expect(seen.join("")).not.toContain("first_slow");
  }, 60_000);
});
