import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { psql } from "../../src/api/psql.js";
import { main } from "../../src/cli/main.js";
import { RecordingIoHost } from "../../src/io.js";
import type { StatusReport } from "../../src/targets/target.js";
import { captureOutput } from "../fixtures/output.js";

// The local target through the CLI, as a user runs it (in-process: main() with captured output).
const dir = mkdtempSync(join(tmpdir(), "ebdb-cli-local-"));
const env = { ...process.env, EBDB_TARGET: "" };
const app = `cli${process.pid % 10000}`;
const id = `${app}-dev-db`;

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}
async function json<T>(...argv: string[]): Promise<T> {
  const r = await ebdb(...argv, "--json");
  if (r.code !== 0) throw new Error(`ebdb ${argv.join(" ")} exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as T;
}

beforeAll(() => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="false"',
      'DB_BACKUP_RETENTION_DAYS="3"',
      'DB_SLOW_QUERY_MS="500"',
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
});

describe("ebdb on the local target (CLI)", () => {
  test("up creates, says what it did; a second up changes nothing", async () => {
    const first = await ebdb("up");
    expect(first.code).toBe(0);
    expect(first.err).toMatch(new RegExp(`✓ Created ${id} on 127\\.0\\.0\\.1:\\d+`));
    const second = await json<{ changed: boolean; plan: { changes: unknown[] } }>("up");
    expect(second.changed).toBe(false);
    expect(second.plan.changes).toEqual([]);
  });

  test("status --json is the StatusReport", async () => {
    const s = await json<StatusReport>("status");
    expect(s).toMatchObject({
      target: "local",
      identifier: id,
      engine: "postgres",
      backups: { enabled: true, retentionDays: 3 },
    });
    expect(s.nodes).toEqual([
      expect.objectContaining({ name: id, role: "primary", state: "running", host: "127.0.0.1" }),
    ]);
    expect(s.backups.list).toHaveLength(1);
    expect(s.backups.earliestRestorableTime).not.toBeNull();
    const text = await ebdb("status");
    expect(text.out).toMatch(/NODE\s+ROLE\s+STATE/);
  });

  test("env, url and psql connect with the generated password (never in argv)", async () => {
    const vars = JSON.parse((await ebdb("env", "--format", "json")).out);
    expect(vars).toMatchObject({
      DB_HOST: "127.0.0.1",
      DB_NAME: "app",
      DB_USERNAME: "dbadmin",
      DB_REPLICA_HOSTS: "",
    });
    expect(vars.DB_PASSWORD).toMatch(/^[A-Za-z0-9\-_.~]{35}$/);
    expect((await ebdb("env")).out).toContain(`DB_PORT='${vars.DB_PORT}'`);
    expect((await ebdb("env", "--format", "shell")).out).toContain(`export DB_NAME='app'`);
    expect((await ebdb("url")).out.trim()).toBe(vars.DATABASE_URL);
    const launch = await psql(
      { cwd: dir, env, io: new RecordingIoHost() },
      { args: ["-tAc", "SHOW log_min_duration_statement"] },
    );
    expect(launch.args.join(" ")).not.toContain(vars.DB_PASSWORD);
    const r = spawnSync(launch.command, launch.args, { env: launch.env, encoding: "utf8" });
    expect(r.stdout.trim()).toBe("500ms");
  });

  test("snapshot create|list|delete, and restore from it into a new instance", async () => {
    const snap = await json<{ id: string }>("snapshot", "create", "cli-snap-1");
    expect(snap.id).toBe("cli-snap-1");
    const list = await json<{ id: string; kind: string }[]>("snapshot", "list");
    expect(list.map((x) => x.kind)).toEqual(["automated", "manual"]);
    const restored = await json<{ name: string; port: number }>(
      "restore",
      "--from-snapshot",
      "cli-snap-1",
      "--name",
      `${id}-copy`,
      "--yes",
    );
    expect(restored.name).toBe(`${id}-copy`);
    const s = await json<StatusReport>("status");
    expect(s.nodes.map((n) => n.role)).toEqual(["primary", "restored"]);
    // In words, it says how to remove that instance alone; that command does so.
    const text = await ebdb("restore", "--from-snapshot", "cli-snap-1", "--name", `${id}-two`, "--yes");
    expect(text.out).toContain(`\`ebdb destroy --instance ${id}-two\` removes it alone`);
    expect((await ebdb("destroy", "--instance", `${id}-two`, "--yes")).code).toBe(0);
    expect((await json<StatusReport>("status")).nodes.map((n) => n.role)).toEqual(["primary", "restored"]);
    expect((await ebdb("snapshot", "delete", "cli-snap-1", "--yes")).code).toBe(0);
    expect((await json<unknown[]>("snapshot", "list")).length).toBe(1);
  });

  test("bad restore input is exit 2 with the fix", async () => {
    const bad = await ebdb("restore", "--to-time", "yesterday", "--yes");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/ISO-8601/);
    const early = await ebdb("restore", "--to-time", "2000-01-01T00:00:00Z", "--yes");
    expect(early.code).toBe(2);
    expect(early.err).toMatch(/outside the restorable window/);
    const missing = await ebdb("restore", "--from-snapshot", "nope", "--yes");
    expect(missing.code).toBe(2);
  });

  test("replica add|list|remove, each naming the replica", async () => {
    const added = await json<{ name: string; state: string }>("replica", "add", "--yes");
    expect(added).toMatchObject({ name: `${id}-replica-1`, state: "running" });
    const second = await ebdb("replica", "add", "--yes");
    expect(second.code).toBe(0);
    expect(second.out).toMatch(
      new RegExp(`^Added ${id}-replica-2 \\(running\\) on 127\\.0\\.0\\.1:\\d+`, "m"),
    );
    expect((await json<{ name: string }[]>("replica", "list")).map((r) => r.name)).toEqual([
      `${id}-replica-1`,
      `${id}-replica-2`,
    ]);
    // Without a name the newest goes, and the output says which.
    const removed = await ebdb("replica", "remove", "--yes");
    expect(removed.code).toBe(0);
    expect(removed.out).toContain(`Removed ${id}-replica-2`);
    expect(await json<{ removed: string }>("replica", "remove", "--yes")).toEqual({
      removed: `${id}-replica-1`,
    });
    expect(await json<unknown[]>("replica", "list")).toEqual([]);
  });

  test("logs shows the server log", async () => {
    const r = await ebdb("logs");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/database system is ready to accept connections/);
    expect((await ebdb("logs", "--node", "nope")).code).toBe(2);
  });

  test("down keeps the data; destroy asks, and needs --yes without a terminal", async () => {
    expect((await ebdb("down")).code).toBe(0);
    expect((await json<StatusReport>("status")).nodes[0].state).toBe("stopped");
    const refused = await ebdb("destroy");
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--yes/);
    expect((await ebdb("destroy", "--yes")).code).toBe(0);
    expect(existsSync(join(dir, ".ebdb", id))).toBe(false);
    const after = await json<StatusReport>("status");
    expect(after.nodes).toEqual([]);
  });
});
