import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";

// Issue 7, item 14, on the local target with real PostgreSQL, spawned as a user runs it (needs
// `npm run build`): replica add stops at DB_READ_REPLICA_MAX_CAPACITY, up asks before removing a
// replica (and without a terminal needs --yes), replica settings ignored while replicas are off warn.
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const built = existsSync(join(root, "dist", "cli", "main.js"));
const dir = mkdtempSync(join(tmpdir(), "ebdb-cli-replicas-"));
const app = `rl${process.pid % 10000}`;
const id = `${app}-dev-db`;

function configure(lines: string[]): void {
  const base = [
    `APP_NAME="${app}"`,
    'ENV_NAME="dev"',
    'DB_ENGINE_VERSION="15.8"',
    'DB_BACKUP_RETENTION_DAYS="1"',
  ];
  writeFileSync(join(dir, "config.env"), [...base, ...lines, ""].join("\n"));
}

function ebdb(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, EBDB_TARGET: "local" },
    stdio: ["pipe", "pipe", "pipe"],
    timeout: 120_000,
  });
  expect(r.error, `ebdb ${args.join(" ")} must finish`).toBeUndefined();
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function replicas(): string[] {
  const r = ebdb("replica", "list", "--json");
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { name: string }[]).map((n) => n.name);
}

afterAll(() => {
  if (built) ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)("read replica limits on the local target (spawned)", () => {
  test("replica add at DB_READ_REPLICA_MAX_CAPACITY is exit 2 and adds nothing", () => {
    configure([
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      'DB_READ_REPLICA_MIN_CAPACITY="1"',
      'DB_READ_REPLICA_MAX_CAPACITY="1"',
    ]);
    expect(ebdb("up", "--yes").code).toBe(0);
    expect(replicas()).toEqual([`${id}-replica-1`]);
    const r = ebdb("replica", "add", "--yes");
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `error: ${id} has 1 read replica and DB_READ_REPLICA_MAX_CAPACITY is 1: another would be beyond the maximum`,
    );
    expect(r.err).toContain("Raise DB_READ_REPLICA_MAX_CAPACITY");
    expect(replicas()).toEqual([`${id}-replica-1`]);
  });

  test("up asks before removing a replica: without a terminal it needs --yes, and removes nothing", () => {
    configure(['DB_READ_REPLICA_ENABLED="false"']);
    const refused = ebdb("up");
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(
      `removing read replica ${id}-replica-1? Reads sent to it will fail. — this needs a confirmation, and standard input is not a terminal.`,
    );
    expect(refused.err).toContain("Run it again with --yes to confirm.");
    expect(replicas()).toEqual([`${id}-replica-1`]);
    expect(ebdb("up", "--yes").code).toBe(0);
    expect(replicas()).toEqual([]);
  });

  test("with replicas off, replica add says the next up removes it", () => {
    const r = ebdb("replica", "add", "--yes");
    expect(r.code).toBe(0);
    expect(r.err).toContain("DB_READ_REPLICA_ENABLED is false, so the next `ebdb up` removes this replica");
    expect(replicas()).toEqual([`${id}-replica-1`]);
  });

  test("validate warns about DB_READ_REPLICA_COUNT=2 while replicas are off, naming both keys", () => {
    configure(['DB_READ_REPLICA_ENABLED="false"', 'DB_READ_REPLICA_COUNT="2"']);
    const r = ebdb("validate");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^config\.env:6: warning: DB_READ_REPLICA_COUNT: DB_READ_REPLICA_COUNT=2 has no effect: DB_READ_REPLICA_ENABLED is false, so no read replica runs$/m,
    );
    expect(r.err).toContain('Set DB_READ_REPLICA_ENABLED="true" to run 2 replica(s)');
  });
});
