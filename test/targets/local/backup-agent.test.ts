import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { destroy } from "../../../src/api/destroy.js";
import { down } from "../../../src/api/down.js";
import { up } from "../../../src/api/up.js";
import { requireConfig } from "../../../src/config/load.js";
import { RecordingIoHost } from "../../../src/io.js";
import { deriveDesired } from "../../../src/model/desired.js";
import type { Desired } from "../../../src/model/desired-types.js";
import { agentPid, readAgentRecord } from "../../../src/targets/local/backup-agent.js";
import { type BackupMeta, listBackups } from "../../../src/targets/local/backups.js";
import { archivedSegment } from "../../../src/targets/local/conf.js";
import { createLocalTarget } from "../../../src/targets/local/index.js";
import { isAlive } from "../../../src/targets/local/pid.js";
import { procStat } from "../../../src/targets/local/proc-scan.js";
import { openSession, type Session } from "../../../src/targets/local/session.js";
import type { Target } from "../../../src/targets/target.js";
import { eventually } from "./harness.js";

// The backup agent (spawned bin/ebdb.js: `npm run build` first), with a "day" of 2 s and a wake every
// 0.25 s (EBDB_BACKUP_DAY_SECONDS, EBDB_BACKUP_AGENT_INTERVAL), so retention (DB_BACKUP_RETENTION_DAYS=1)
// works on a test's time scale. Nothing but the agent acts between `up` and the checks: no ebdb command runs.
const DAY_MS = 2_000;
const bin = fileURLToPath(new URL("../../../bin/ebdb.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ebdb-agent-"));
const app = `agent${process.pid % 1000}`;
writeFileSync(
  join(dir, "config.env"),
  `APP_NAME="${app}"\nENV_NAME="test"\nDB_ENGINE_VERSION="15.8"\nDB_BACKUP_RETENTION_DAYS="1"\n`,
);
const io = new RecordingIoHost(true);
const ctx: CommandContext = {
  cwd: dir,
  env: { ...process.env, EBDB_BACKUP_AGENT_INTERVAL: "0.25", EBDB_BACKUP_DAY_SECONDS: String(DAY_MS / 1000) },
  io,
  target: "local",
};
let desired: Desired;
let target: Target;
let s: Session;
let c: pg.Client;
let admin: pg.Client;

interface Commit {
  id: number;
  sentAt: number;
  ackedAt: number;
}
const commits: Commit[] = [];
let writing = true;
let writer: Promise<void>;

/** Exited (a zombie this test process has not reaped yet counts as exited). */
const gone = (pid: number) => !isAlive(pid) || procStat(pid)?.state === "Z";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const archived = () =>
  readdirSync(s.layout.archiveDir)
    .map((f) => archivedSegment(f))
    .filter((x): x is string => !!x && /^[0-9A-F]{24}$/.test(x))
    .sort();
const automated = async (): Promise<BackupMeta[]> =>
  (await listBackups(s)).filter((b) => b.kind === "automated" && b.status === "available");

async function connect(port?: number): Promise<pg.Client> {
  const conn = await target.connection(desired);
  const client = new pg.Client({
    host: conn.host,
    port: port ?? conn.port,
    user: conn.username,
    password: conn.password.reveal(),
    database: conn.dbName,
    ssl: { rejectUnauthorized: false },
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

beforeAll(async () => {
  await up(ctx);
  desired = deriveDesired(await requireConfig(ctx), "local");
  target = createLocalTarget(ctx);
  s = await openSession(ctx, desired);
  c = await connect();
  // WAL switches need ebdb's own superuser (the master user cannot, as on RDS).
  admin = await s.admin((await target.connection(desired)).port);
  await c.query("CREATE TABLE events (id int PRIMARY KEY, filler text)");
  // Rows one by one with their times, and a new WAL segment every few rows (a 64 kB row each
  // time, so the segments hold something), until the test stops it.
  writer = (async () => {
    for (let id = 1; writing; id++) {
      const sentAt = Date.now();
      await c.query("INSERT INTO events VALUES ($1, repeat('x', 65536))", [id]);
      commits.push({ id, sentAt, ackedAt: Date.now() });
      if (id % 4 === 0) await admin.query("SELECT 1 FROM pg_switch_wal()").catch(() => {});
      await sleep(60);
    }
  })();
}, 60_000);

afterAll(async () => {
  writing = false;
  await writer?.catch(() => {});
  await c?.end().catch(() => {});
  await admin?.end().catch(() => {});
  await destroy(ctx).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

/** A time strictly between the acknowledgement of commit i and the sending of the next. */
function between(i: number): Date {
  return new Date(Math.floor((commits[i].ackedAt + commits[i + 1].sentAt) / 2));
}

describe("the backup agent (local): daily base backups and retention on time, without a command", () => {
  test("up starts it, detached, recorded in backup-agent.json", async () => {
    const pid = await agentPid(s.layout);
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
  });

  test("old base backups and the WAL only they needed are removed on time; newer ones taken daily", async () => {
    const first = (await automated())[0];
    // Every segment seen in the archive while waiting: the ones the first backup needed are among them.
    const seen = new Set(archived());
    expect(first).toBeDefined();
    // Two "days" later the agent has taken two more backups and the first is past retention
    // (it goes once a newer one is past it too: the window starts from the newest old one).
    const kept = await eventually(
      async () => {
        for (const x of archived()) seen.add(x);
        const now = await automated();
        return now.every((b) => b.id !== first.id) && now.length >= 2 ? now : undefined;
      },
      25_000,
      100,
    );
    const floor = kept[0].startWal;
    expect(floor > first.startWal).toBe(true);
    // No archived segment older than what the oldest kept backup needs (.history files aside).
    await eventually(async () => (archived().every((x) => x >= floor) ? true : undefined), 5_000, 50);
    const removed = [...seen].filter((x) => x < floor);
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.every((x) => !archived().includes(x))).toBe(true);
    for (const b of kept) expect(Date.now() - Date.parse(b.createdAt)).toBeLessThan(4 * DAY_MS + 2_000);
  }, 40_000);

  test("point-in-time restore works to any time within the retention window", async () => {
    writing = false;
    await writer;
    // Holding the project's lock: the agent cannot move the window while the restores run.
    await target.lock!(desired, "test", async () => {
      const st = await target.status(desired);
      const earliest = Date.parse(st.backups.earliestRestorableTime!);
      const i0 = commits.findIndex((x) => x.sentAt > earliest + 50);
      const picks = [i0, Math.floor((i0 + commits.length - 2) / 2), commits.length - 2];
      for (const [k, i] of picks.entries()) {
        const t = between(i);
        const r = await target.restore(desired, { kind: "time", time: t }, `${app}-test-pitr${k}`, io);
        const rc = await connect(r.port);
        const rows = (await rc.query("SELECT id FROM events ORDER BY id")).rows.map((x) => x.id as number);
        await rc.end();
        expect(rows).toEqual(commits.filter((x) => x.ackedAt < t.getTime()).map((x) => x.id));
        await target.destroyInstance!(desired, r.name, io);
      }
    });
  }, 60_000);

  test("an agent killed in the middle of a base backup leaves none half-made: never listed, removed by the next up", async () => {
    const before = (await listBackups(s)).map((b) => b.id);
    const first = (await agentPid(s.layout))!;
    await target.lock!(desired, "test", async () => process.kill(first, "SIGKILL"));
    // A new agent that dies (SIGKILL) once its next base backup is copied, before it is recorded whole.
    await up({ ...ctx, env: { ...ctx.env, EBDB_BACKUP_AGENT_FAULT_POINT: "snapshot:copied" } });
    const faulty = (await agentPid(s.layout))!;
    const half = await eventually(
      async () => (await listBackups(s)).find((b) => b.status === "creating" && !before.includes(b.id)),
      15_000,
      50,
    );
    await eventually(async () => (gone(faulty) ? true : undefined));
    expect((await target.snapshots.list(desired)).map((b) => b.id)).not.toContain(half.id);
    expect((await target.status(desired)).backups.list.map((b) => b.id)).not.toContain(half.id);
    const again = await up(ctx);
    expect(again.plan.changes.map((c) => c.resource)).toContain(half.id);
    expect((await listBackups(s)).map((b) => b.id)).not.toContain(half.id);
    expect(readdirSync(s.layout.backupsDir)).not.toContain(half.id);
    expect(await agentPid(s.layout)).toBeGreaterThan(0);
  }, 60_000);

  test("a bad EBDB_BACKUP_AGENT_INTERVAL is refused by up (exit 2, naming it) before anything is done", async () => {
    const pid = await agentPid(s.layout);
    const err = await up({ ...ctx, env: { ...ctx.env, EBDB_BACKUP_AGENT_INTERVAL: "soon" } }).catch((e) => e);
    expect(err).toMatchObject({ code: "BAD_ENV", exitCode: 2 });
    expect(err.message).toContain('EBDB_BACKUP_AGENT_INTERVAL is "soon"');
    expect(await agentPid(s.layout)).toBe(pid);
  });

  test("kill -9 of the agent: up starts a new one (changing nothing else); down and destroy stop it", async () => {
    const killed = (await agentPid(s.layout))!;
    // Between two of its actions (holding the lock it acts under), as a crash at any other time
    // leaves what the interrupted-backup tests cover.
    await target.lock!(desired, "test", async () => process.kill(killed, "SIGKILL"));
    await eventually(async () => ((await agentPid(s.layout)) === null ? true : undefined));
    // `ebdb up` as a user runs it: the agent it starts outlives it.
    const cli = spawnSync(process.execPath, [bin, "up", "--yes", "--json"], {
      cwd: dir,
      env: ctx.env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).changed).toBe(false);
    const restarted = await agentPid(s.layout);
    expect(restarted).toBeGreaterThan(0);
    expect(restarted).not.toBe(killed);
    expect(procStat(restarted!)?.ppid).not.toBe(process.pid);

    await down(ctx);
    expect(gone(restarted!)).toBe(true);
    expect(await readAgentRecord(s.layout)).toBeNull();
    await up(ctx);
    const third = (await agentPid(s.layout))!;
    expect(third).toBeGreaterThan(0);

    await destroy(ctx);
    expect(gone(third)).toBe(true);
  }, 60_000);
});
