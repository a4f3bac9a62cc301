import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { StatusReport } from "../../../src/targets/target.js";
import { captureOutput } from "../../fixtures/output.js";
import { eventually } from "./harness.js";

// The local pooler (DB_RDS_PROXY_ENABLED): real PgBouncer in front of a real primary, through the
// CLI as a user runs it (in-process main()). One project for the whole file.
const pgbouncer = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((p) => existsSync(p));
const skip = pgbouncer
  ? false
  : "PgBouncer is not installed (apt-get install pgbouncer; CI's .ci/run installs it): the local pooler cannot run";
if (skip) console.warn(`skipped: ${skip}`);
const POOL = 10;

const dir = mkdtempSync(join(tmpdir(), "ebdb-pool-"));
const env = { ...process.env, EBDB_TARGET: "" };
const app = `pool${process.pid % 10000}`;
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
async function vars(): Promise<Record<string, string>> {
  const r = await ebdb("env", "--format", "json");
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Record<string, string>;
}
/** pgbouncer processes working on this project's files (the ini's path names the identifier's folder). */
function pgbouncers(): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("pgbouncer") && argv.some((a) => a.startsWith(dir) || a.includes(id)))
        out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}
function client(url: string): pg.Client {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => {});
  return c;
}

/** config.env: the pooler on with a pool of POOL, unless `over` says otherwise. */
function writeConfig(over: Record<string, string>): void {
  const keys = {
    APP_NAME: app,
    ENV_NAME: "dev",
    DB_ENGINE_VERSION: "15.8",
    DB_READ_REPLICA_ENABLED: "false",
    DB_RDS_PROXY_ENABLED: "true",
    DB_POOL_SIZE: String(POOL),
    ...over,
  };
  writeFileSync(
    join(dir, "config.env"),
    Object.entries(keys)
      .map(([k, v]) => `${k}="${v}"\n`)
      .join(""),
  );
}

/**
 * The most connections the server held for the application's user (PgBouncer's, through the pool)
 * while `fn` ran, sampled every 5 ms from a direct connection (not counted). Ends that user's other
 * connections first, so PgBouncer's idle ones from earlier cases do not count.
 */
async function peakDuring(v: Record<string, string>, fn: () => Promise<unknown>): Promise<number> {
  const direct = client(v.DATABASE_URL);
  await direct.connect();
  const others = "FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()";
  await direct.query(`SELECT pg_terminate_backend(pid) ${others}`, [v.DB_USERNAME]);
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await direct.query<{ n: string }>(`SELECT count(*) AS n ${others}`, [v.DB_USERNAME]);
      peak = Math.max(peak, Number(r.rows[0].n));
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  try {
    await fn();
  } finally {
    sampling = false;
    await sampler;
    await direct.end();
  }
  return peak;
}

beforeAll(() => writeConfig({}));
afterAll(async () => {
  if (!skip) await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(skip)("the local pooler: PgBouncer in front of the primary", () => {
  test("without PgBouncer, up makes the primary and says how to install it; env gives no pooled URL", async () => {
    const o = captureOutput();
    const code = await main(["up"], o, { ...env, EBDB_PGBOUNCER: join(dir, "no-pgbouncer") }, dir);
    expect(code, o.stderr()).toBe(0);
    expect(o.stderr()).toContain("PgBouncer is not installed");
    expect(o.stderr()).toContain("apt-get install pgbouncer");
    expect(pgbouncers()).toEqual([]);
    expect((await vars()).DATABASE_POOL_URL).toBeUndefined();
    const so = captureOutput();
    await main(["status"], so, { ...env, EBDB_PGBOUNCER: join(dir, "no-pgbouncer") }, dir);
    expect(so.stdout()).toMatch(/Pooler: PgBouncer \S+-proxy: not installed/);
    expect(so.stdout()).toContain("install it (apt-get install pgbouncer), then run `ebdb up`");
  }, 90_000);

  test("up starts it; env gives DATABASE_POOL_URL beside the direct DATABASE_URL", async () => {
    const r = await ebdb("up");
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/Started PgBouncer 1\.\d+(\.\d+)? on 127\.0\.0\.1:\d+/);
    expect(pgbouncers()).toHaveLength(1);
    const v = await vars();
    expect(v.DB_POOL_HOST).toBe("127.0.0.1");
    expect(v.DB_POOL_PORT).not.toBe(v.DB_PORT);
    expect(v.DATABASE_POOL_URL).toContain(`:${v.DB_POOL_PORT}/`);
    expect(v.DATABASE_POOL_URL).toContain("sslmode=verify-full");
    expect(v.DATABASE_URL).toContain(`:${v.DB_PORT}/`);
    // Its files hold SCRAM verifiers (as the primary's pg_authid), never the password.
    const [pid] = pgbouncers();
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    expect(argv).not.toContain(v.DB_PASSWORD);
    const files = readdirSync(dirname(argv.split("\0").filter(Boolean).at(-1) ?? ""));
    expect(files).toEqual(expect.arrayContaining(["pgbouncer.ini", "userlist.txt"]));
    const poolerDir = dirname(argv.split("\0").filter(Boolean).at(-1) ?? "");
    for (const f of files) expect(readFileSync(join(poolerDir, f), "utf8")).not.toContain(v.DB_PASSWORD);
    expect(readFileSync(join(poolerDir, "userlist.txt"), "utf8")).toContain(
      `"${v.DB_USERNAME}" "SCRAM-SHA-256$`,
    );
    // A second up changes nothing.
    const again = await json<{ changed: boolean }>("up");
    expect(again.changed).toBe(false);
  }, 90_000);

  test("500 concurrent clients each run transactions; the server never sees more than the pool", async () => {
    const v = await vars();
    const setup = client(v.DATABASE_URL);
    await setup.connect();
    await setup.query("CREATE TABLE IF NOT EXISTS hits (client int, n int)");
    await setup.end();
    const clients = Array.from({ length: 500 }, () => client(v.DATABASE_POOL_URL));
    const failures: string[] = [];
    const peak = await peakDuring(v, () =>
      Promise.all(
        clients.map(async (c, i) => {
          try {
            await c.connect();
            for (let n = 0; n < 3; n++) {
              await c.query("BEGIN");
              await c.query("INSERT INTO hits VALUES ($1, $2)", [i, n]);
              await c.query("SELECT pg_sleep(0.002)");
              await c.query("COMMIT");
            }
          } catch (e) {
            failures.push(String(e));
          } finally {
            await c.end().catch(() => {});
          }
        }),
      ),
    );
    const direct = client(v.DATABASE_URL);
    await direct.connect();
    const rows = await direct.query<{ n: string; c: string }>(
      "SELECT count(*) AS n, count(DISTINCT client) AS c FROM hits",
    );
    await direct.end();
    expect(failures.slice(0, 3)).toEqual([]);
    expect(Number(rows.rows[0].n)).toBe(1500);
    expect(Number(rows.rows[0].c)).toBe(500);
    // More than one server connection served them (pooling happened), never more than the pool.
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(POOL);
  }, 180_000);

  test("a wrong password is refused; the pooler's connection to the server is TLS", async () => {
    const v = await vars();
    const wrong = new URL(v.DATABASE_POOL_URL);
    wrong.password = encodeURIComponent(`${v.DB_PASSWORD}x`);
    const bad = client(wrong.toString());
    const refused = await bad.connect().then(
      () => null,
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/password authentication failed|SASL authentication failed/);
    await bad.end().catch(() => {});
    const good = client(v.DATABASE_POOL_URL);
    await good.connect();
    // Through the pooler, the query runs on PgBouncer's server connection: that backend's TLS state.
    const r = await good.query<{ ssl: boolean; version: string; port: number }>(
      "SELECT s.ssl, s.version, inet_server_port() AS port FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
    );
    await good.end();
    expect(r.rows[0].ssl).toBe(true);
    expect(r.rows[0].version).toMatch(/^TLSv1\.[23]$/);
    expect(String(r.rows[0].port)).toBe(v.DB_PORT);
  }, 30_000);

  test("psql connects with the URL ebdb prints, verifying the pooler's certificate", async () => {
    const v = await vars();
    const url = (await ebdb("env", "--format", "shell")).out;
    expect(url).toContain("DATABASE_POOL_URL=");
    const psqlBin = ["/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql"].find((p) => existsSync(p)) ?? "psql";
    // The password through the environment (never in argv); the URL carries the rest.
    const { DB_PASSWORD, ...rest } = v;
    const r = spawnSync(
      psqlBin,
      [v.DATABASE_POOL_URL.replace(/:[^:@/]*@/, "@"), "-Atc", "SELECT current_user, inet_server_port()"],
      { env: { PATH: process.env.PATH, PGPASSWORD: DB_PASSWORD }, encoding: "utf8", timeout: 20_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`${rest.DB_USERNAME}|${rest.DB_PORT}`);
  }, 30_000);

  test("status shows the pooler and its pools", async () => {
    const v = await vars();
    const warm = client(v.DATABASE_POOL_URL);
    await warm.connect();
    await warm.query("SELECT 1");
    const s = await json<StatusReport>("status");
    await warm.end();
    expect(s.pooler).toMatchObject({
      kind: "pgbouncer",
      state: "running",
      host: "127.0.0.1",
      port: Number(v.DB_POOL_PORT),
      maxServerConnections: POOL,
    });
    expect(s.pooler?.pools).toEqual(
      expect.arrayContaining([expect.objectContaining({ database: v.DB_NAME, user: v.DB_USERNAME })]),
    );
    const text = await ebdb("status");
    expect(text.code).toBe(0);
    expect(text.out).toMatch(
      new RegExp(
        `Pooler: PgBouncer 1\\.\\d+\\S* ${id}-proxy at 127\\.0\\.0\\.1:${v.DB_POOL_PORT}: running, pid \\d+; at most ${POOL} server connections`,
      ),
    );
    expect(text.out).toMatch(new RegExp(`pool ${v.DB_NAME}/${v.DB_USERNAME}: clients \\d+ active`));
  }, 30_000);

  test("down stops it; up starts it again; after a kill -9, up converges it", async () => {
    const port = (await vars()).DB_POOL_PORT;
    const d = await ebdb("down");
    expect(d.code, d.err).toBe(0);
    expect(d.err).toMatch(/Stopped PgBouncer/);
    expect(pgbouncers()).toEqual([]);
    expect((await json<StatusReport>("status")).pooler?.state).toBe("stopped");
    expect((await ebdb("up")).code).toBe(0);
    expect(pgbouncers()).toHaveLength(1);
    expect((await vars()).DB_POOL_PORT).toBe(port);

    const [pid] = pgbouncers();
    process.kill(pid, "SIGKILL");
    await eventually(async () => (pgbouncers().length === 0 ? true : undefined), 5000);
    expect((await json<StatusReport>("status")).pooler?.state).toBe("crashed");
    const plan = await ebdb("plan");
    expect(plan.out).toMatch(/PgBouncer/);
    const up = await ebdb("up");
    expect(up.code, up.err).toBe(0);
    expect(pgbouncers()).toHaveLength(1);
    const c = client((await vars()).DATABASE_POOL_URL);
    await c.connect();
    expect((await c.query("SELECT 1 AS one")).rows[0].one).toBe(1);
    await c.end();
  }, 90_000);

  test("a new DB_POOL_SIZE is written and reloaded: same PgBouncer, new cap", async () => {
    const [pid] = pgbouncers();
    writeConfig({ DB_POOL_SIZE: "5" });
    const plan = await ebdb("plan");
    expect(plan.out).toContain("Rewrites PgBouncer's pgbouncer.ini");
    const up = await ebdb("up");
    expect(up.code, up.err).toBe(0);
    expect(pgbouncers()).toEqual([pid]);
    expect((await json<StatusReport>("status")).pooler?.maxServerConnections).toBe(5);
    const ini = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).at(-1) ?? "";
    expect(readFileSync(ini, "utf8")).toMatch(/^default_pool_size = 5$/m);
    // PgBouncer reloaded it: 50 clients' transactions now take at most 5 server connections.
    const v = await vars();
    const peak = await peakDuring(v, () =>
      Promise.all(
        Array.from({ length: 50 }, async () => {
          const c = client(v.DATABASE_POOL_URL);
          await c.connect();
          await c.query("SELECT pg_sleep(0.01)");
          await c.end();
        }),
      ),
    );
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(5);
    expect((await json<{ changed: boolean }>("up")).changed).toBe(false);
  }, 60_000);

  test("a new master password works through the pooler after one up; the old one is refused", async () => {
    const old = await vars();
    const password = `Pooled-${process.pid}-new-password`;
    writeConfig({ DB_POOL_SIZE: "5", DB_MASTER_PASSWORD: password });
    chmodSync(join(dir, "config.env"), 0o600);
    const up = await ebdb("up");
    expect(up.code, up.err).toBe(0);
    expect(up.err).toContain("PgBouncer: rewrote userlist.txt and reloaded it");
    const v = await vars();
    expect(v.DB_PASSWORD).toBe(password);
    const c = client(v.DATABASE_POOL_URL);
    await c.connect();
    expect((await c.query("SELECT current_user AS u")).rows[0].u).toBe(v.DB_USERNAME);
    await c.end();
    const stale = client(old.DATABASE_POOL_URL);
    const refused = await stale.connect().then(
      () => null,
      (e: Error) => e.message,
    );
    await stale.end().catch(() => {});
    expect(refused).toMatch(/SASL authentication failed|password authentication failed/);
    expect((await json<{ changed: boolean }>("up")).changed).toBe(false);
  }, 60_000);

  test("DB_RDS_PROXY_ENABLED=false: up stops it and removes its files; env drops the pooled names", async () => {
    const [pid] = pgbouncers();
    const folder = dirname(
      readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).at(-1) ?? "",
    );
    writeConfig({ DB_RDS_PROXY_ENABLED: "false" });
    const up = await ebdb("up");
    expect(up.code, up.err).toBe(0);
    expect(up.err).toContain("Stopped PgBouncer and removed its files");
    expect(pgbouncers()).toEqual([]);
    expect(existsSync(folder)).toBe(false);
    const v = await vars();
    expect(v.DATABASE_POOL_URL).toBeUndefined();
    expect(v.DB_POOL_HOST).toBeUndefined();
    expect((await json<StatusReport>("status")).pooler ?? null).toBeNull();
    // And back on, for destroy.
    writeConfig({});
    expect((await ebdb("up")).code).toBe(0);
    expect(pgbouncers()).toHaveLength(1);
  }, 60_000);

  test("destroy leaves no PgBouncer and none of its files", async () => {
    const [pid] = pgbouncers();
    const ini = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).at(-1) ?? "";
    expect(ini).toMatch(/pooler\/pgbouncer\.ini$/);
    const r = await ebdb("destroy", "--yes");
    expect(r.code, r.err).toBe(0);
    expect(pgbouncers()).toEqual([]);
    expect(existsSync(dirname(ini))).toBe(false);
    const left = execFileSync("find", [dir, "-path", "*pooler*"], { encoding: "utf8" });
    expect(left).toBe("");
  }, 60_000);
});
