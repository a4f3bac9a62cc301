import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { StatusReport } from "../../../src/targets/target.js";
import { captureOutput } from "../../fixtures/output.js";

// Item 12 of issue 7: a full disk during `snapshot create`, `restore` and `replica add` is a clear
// error (exit 1) that names the command, says the disk is full and what to do, and leaves nothing
// half-made; `status` on a full disk says what is true. The data lives on a real 640 MiB tmpfs
// (EBDB_SYSTEM_DIR), filled up to what each case needs. Mounting needs root (as in CI): elsewhere
// this file is skipped.

const asRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;
// Free space in which a copy of the data directory (~40 MiB) cannot fit, but the primary can still
// start a new 16 MiB WAL segment (with less, the primary itself stops: the last case).
const COPY_FAILS = 24 * MiB;

describe.skipIf(!asRoot)("a full disk (the data on a 640 MiB tmpfs)", () => {
  const base = mkdtempSync(join(tmpdir(), "ebdb-diskfull-"));
  // Where the server user can reach it (the tmpfs root is 0755).
  const sys = mkdtempSync(join(tmpdir(), "ebdb-diskfull-data-"));
  // Inside a 0700 folder, so the server user cannot reach it and the data goes to EBDB_SYSTEM_DIR.
  const dir = join(base, "project");
  const filler = join(sys, "filler");
  const env = { ...process.env, EBDB_TARGET: "", EBDB_SYSTEM_DIR: sys };
  const app = `full${process.pid % 10000}`;
  let mounted = false;
  let autoBackup = "";

  async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const o = captureOutput();
    const code = await main(argv, o, env, dir);
    return { code, out: o.stdout(), err: o.stderr() };
  }
  async function status(): Promise<StatusReport> {
    const r = await ebdb("status", "--json");
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as StatusReport;
  }
  /** Leaves `bytes` free on the tmpfs (a preallocated filler takes the rest). */
  function leaveFree(bytes: number): void {
    rmSync(filler, { force: true });
    const st = statfsSync(sys);
    const size = st.bavail * st.bsize - bytes;
    const r = spawnSync("fallocate", ["-l", String(size), filler], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`fallocate: ${r.stderr}`);
  }
  function mount(at: string, options: string): void {
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", at], { encoding: "utf8" });
    if (m.status !== 0) throw new Error(`cannot mount a tmpfs here (this test needs it): ${m.stderr}`);
  }
  function dataRoot(): string {
    const [d] = readdirSync(sys).filter((f) => f.startsWith(`${app}-dev-db-`));
    return join(sys, d);
  }
  const failedClearly = (r: { code: number; err: string }, what: string) => {
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^error: ${what} failed: the disk is full \\(`));
    expect(r.err).toContain(`Free some space on the disk holding ${dataRoot()}`);
    expect(r.err).not.toMatch(/internal error|ENOSPC: /);
  };

  beforeAll(async () => {
    mkdirSync(dir, { mode: 0o700 });
    mount(sys, "size=640m,mode=0755");
    mounted = true;
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
    expect(dataRoot().startsWith(sys)).toBe(true);
    autoBackup = (await status()).backups.list[0].id;
  }, 120_000);

  afterAll(async () => {
    if (process.env.EBDB_TEST_KEEP) return;
    rmSync(filler, { force: true });
    if (mounted) await ebdb("destroy", "--yes");
    // After a failed case destroy may not have run to the end: no server, no mount is left behind.
    spawnSync("pkill", ["-INT", "-f", `postgres -D ${sys}/`]);
    for (let i = 0; i < 50 && spawnSync("pgrep", ["-f", `postgres -D ${sys}/`]).status === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    const inner = spawnSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((m) => m.startsWith(`${sys}/`));
    for (const m of inner) spawnSync("umount", [m]);
    if (mounted) spawnSync("umount", [sys]);
    rmSync(base, { recursive: true, force: true });
    rmSync(sys, { recursive: true, force: true });
  });

  test("snapshot create: exit 1, the disk is full and what to do; the partial copy is gone", async () => {
    leaveFree(COPY_FAILS);
    const r = await ebdb("snapshot", "create", "before-full");
    failedClearly(r, "snapshot create");
    expect(readdirSync(join(dataRoot(), "backups"))).toEqual([autoBackup]);
    // The space the copy took was given back.
    const st = statfsSync(sys);
    expect(st.bavail * st.bsize).toBeGreaterThan(4 * MiB);
  });

  test("replica add: exit 1, nothing left of the replica, no slot holding WAL", async () => {
    leaveFree(COPY_FAILS);
    const r = await ebdb("replica", "add", "--yes");
    failedClearly(r, "replica add");
    expect(readdirSync(join(dataRoot(), "nodes"))).toEqual([`${app}-dev-db`]);
    const s = await status();
    expect(s.nodes.map((n) => n.name)).toEqual([`${app}-dev-db`]);
    expect(s.replicationSlots).toEqual([]);
  });

  test("restore from a snapshot: exit 1, nothing left of the new instance", async () => {
    leaveFree(COPY_FAILS);
    const r = await ebdb("restore", "--from-snapshot", autoBackup, "--name", "restored-full", "--yes");
    failedClearly(r, "restore");
    expect(readdirSync(join(dataRoot(), "nodes"))).toEqual([`${app}-dev-db`]);
  });

  test("the archive's disk full: restore --latest says the archiver fails, fast; status shows since when, how often, why", async () => {
    // A full file system under the archive alone (the primary keeps writing WAL on its own disk,
    // which has room again).
    rmSync(filler, { force: true });
    const archive = join(dataRoot(), "archive");
    const st = statSync(archive);
    mount(archive, `size=64k,mode=0700,uid=${st.uid},gid=${st.gid}`);
    // Filled: a compressed WAL segment is small enough to fit in what an empty 64k would hold.
    spawnSync("dd", ["if=/dev/zero", `of=${join(archive, "filler")}`, "bs=4k"], { encoding: "utf8" });
    try {
      const t0 = Date.now();
      const r = await ebdb("restore", "--latest", "--yes");
      failedClearly(r, "restore");
      expect(r.err).toMatch(
        /WAL archiver is failing \(\d+ failures since .*\): could not .*No space left on device/,
      );
      // The archive's own disk, not the data's, is the one to free.
      expect(r.err).toContain(`Free some space on the disk holding ${archive}`);
      expect(Date.now() - t0).toBeLessThan(15_000);

      const s = await status();
      expect(s.nodes[0]).toMatchObject({ state: "running", refusing: null });
      const a = s.backups.archive!;
      expect(a.state).toBe("failing");
      expect(a.failedCount).toBeGreaterThanOrEqual(3);
      expect(a.lastError).toMatch(/No space left on device/);
      expect(Date.parse(a.failingSince!)).toBeGreaterThanOrEqual(t0 - 1000);
      expect(a.waiting).toBeGreaterThanOrEqual(1);
      const notes = s.notes.join("\n");
      expect(notes).not.toMatch(/not running|could not query/);
      expect(notes).toMatch(
        /The WAL archiver is failing since .*No space left on device.*Free space on the disk/,
      );
      const text = (await ebdb("status")).out;
      expect(text).toMatch(
        /WAL archive: failing since \S+ \(\d+ failure\(s\); last error: .*No space left on device/,
      );
      expect(text).not.toMatch(/unknown; 0 failure/);
    } finally {
      spawnSync("umount", [archive]);
    }
  });

  test("the whole disk full: the primary cannot write WAL; restore says the disk is full, status says what is true", async () => {
    leaveFree(256 * 1024);
    const r = await ebdb("restore", "--latest", "--yes");
    failedClearly(r, "restore");
    const s = await status();
    // PostgreSQL stops (PANIC) when it cannot write WAL, then restarts itself: either is said once.
    const primary = s.nodes[0];
    const notes = s.notes.join("\n");
    if (primary.state === "running") expect(notes).not.toMatch(/primary is not running/);
    else expect(notes).toMatch(new RegExp(`${primary.name} is ${primary.state}: \`ebdb up\` brings it back`));
    expect(s.storage.disk!.usedPercent).toBeGreaterThanOrEqual(99);
    expect(notes).toMatch(/is (99|100)% full/);
    const text = (await ebdb("status")).out;
    expect(text).toMatch(/Disk: (99|100)% full/);
    expect(text).not.toMatch(/unknown; 0 failure/);
  });

  test("once space is freed, up converges and each command works", async () => {
    rmSync(filler, { force: true });
    const up = await ebdb("up", "--yes");
    expect(up.code, up.err).toBe(0);
    const again = JSON.parse((await ebdb("up", "--yes", "--json")).out);
    expect(again.plan.changes).toEqual([]);
    expect((await ebdb("snapshot", "create", "after-full")).code).toBe(0);
    const add = await ebdb("replica", "add", "--yes");
    expect(add.code, add.err).toBe(0);
    const restore = await ebdb("restore", "--latest", "--name", "restored-after", "--yes");
    expect(restore.code, restore.err).toBe(0);
    // The archiver caught up once it could write again.
    const s = await status();
    expect(s.backups.archive!.state).toBe("ok");
    expect(s.nodes.map((n) => n.state)).toEqual(["running", "running", "running"]);
  });
});
