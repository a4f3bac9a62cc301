import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { StatusReport } from "../../../src/targets/target.js";
import { captureOutput } from "../../fixtures/output.js";

// Item 12 of issue 7: the primary killed (kill -9) in the middle of `snapshot create` or `replica
// add` is a clear error (exit 1) naming the command and the primary, saying what to do, instead of
// "internal error: Client has encountered a connection error"; nothing half-made is left that the
// next `up` does not converge from. The kill lands while the data directory is being copied (a
// ~100 MiB table makes that take a moment), between pg_backup_start and pg_backup_stop.

const dir = mkdtempSync(join(tmpdir(), "ebdb-killed-"));
const env = { ...process.env, EBDB_TARGET: "" };
const app = `killed${process.pid % 10000}`;
const id = `${app}-dev-db`;

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}
async function status(): Promise<StatusReport> {
  const r = await ebdb("status", "--json");
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as StatusReport;
}
async function dataRoot(): Promise<string> {
  const note = (await status()).notes.find((n) => n.startsWith("Disk: "))!;
  return /\(under (.+)\)\.$/.exec(note)![1];
}

/** Runs `argv`, and kill -9s the primary's postmaster as soon as `copying` exists (the copy has begun). */
async function killPrimaryWhen(copying: string, ...argv: string[]) {
  const pgdata = join(await dataRoot(), "nodes", id, "pgdata");
  const pid = Number(readFileSync(join(pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
  let killed = false;
  const watch = (async () => {
    const deadline = Date.now() + 30_000;
    while (!existsSync(copying) && Date.now() < deadline) await new Promise((ok) => setImmediate(ok));
    process.kill(pid, "SIGKILL");
    killed = true;
  })();
  const r = await ebdb(...argv);
  await watch;
  expect(killed).toBe(true);
  return r;
}

function failedClearly(r: { code: number; err: string }, what: string): void {
  expect(r.code).toBe(1);
  expect(r.err).toMatch(
    new RegExp(`^error: ${what} failed: the connection to the primary ${id} \\(crashed now\\) was lost \\(`),
  );
  expect(r.err).toContain(
    "`ebdb up` starts it again (PostgreSQL recovers from its WAL: nothing committed is lost)",
  );
  expect(r.err).not.toMatch(/internal error/);
}

/** `up` brings the primary back, and a second `up` has nothing left to do. */
async function upConverges(): Promise<void> {
  const up = await ebdb("up", "--yes");
  expect(up.code, up.err).toBe(0);
  const again = JSON.parse((await ebdb("up", "--yes", "--json")).out);
  expect(again.plan.changes).toEqual([]);
  expect((await status()).nodes.every((n) => n.state === "running")).toBe(true);
}

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="0"',
      'DB_READ_REPLICA_MIN_CAPACITY="0"',
      'DB_READ_REPLICA_MAX_CAPACITY="2"',
      'DB_BACKUP_RETENTION_DAYS="1"',
      "",
    ].join("\n"),
  );
  const up = await ebdb("up", "--yes");
  expect(up.code, up.err).toBe(0);
  const r = await ebdb(
    "psql",
    "--",
    "-c",
    "CREATE TABLE big AS SELECT g AS id, repeat('x', 1000) AS pad FROM generate_series(1, 100000) g",
  );
  expect(r.code, r.err).toBe(0);
}, 120_000);

afterAll(async () => {
  await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
});

describe("the primary killed in the middle of a command", () => {
  test("snapshot create: exit 1 naming the primary and what to do; the half-made copy is gone; up converges", async () => {
    const backups = join(await dataRoot(), "backups");
    const before = readdirSync(backups);
    const r = await killPrimaryWhen(join(backups, "mid-kill", "data"), "snapshot", "create", "mid-kill");
    failedClearly(r, "snapshot create");
    expect(readdirSync(backups)).toEqual(before);
    await upConverges();
    expect((await ebdb("snapshot", "create", "mid-kill")).code).toBe(0);
  });

  test("replica add: exit 1 naming the primary and what to do; nothing of the replica left; up converges", async () => {
    const nodes = join(await dataRoot(), "nodes");
    const r = await killPrimaryWhen(
      join(nodes, `${id}-replica-1`, "pgdata", "base"),
      "replica",
      "add",
      "--yes",
    );
    failedClearly(r, "replica add");
    expect(readdirSync(nodes)).toEqual([id]);
    // The slot made before the kill stays on the primary until `up` drops it (it was down).
    await upConverges();
    expect((await status()).replicationSlots).toEqual([]);
    const add = await ebdb("replica", "add", "--yes");
    expect(add.code, add.err).toBe(0);
  });
});
