import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execLaunch } from "../../src/api/exec.js";
import { main } from "../../src/cli/main.js";
import { RecordingIoHost } from "../../src/io.js";
import { captureOutput } from "../fixtures/output.js";

// `ebdb pooler pgbouncer`: the files it writes start real PgBouncer, unchanged, beside an
// "application" that gets the local primary's settings as `ebdb exec` gives them.
const pgbouncer = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((p) => existsSync(p));
const skip = pgbouncer
  ? false
  : "PgBouncer is not installed (apt-get install pgbouncer; CI's .ci/run installs it): the generated files cannot be run";
if (skip) console.warn(`skipped: ${skip}`);
const psqlBin = ["/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql"].find((p) => existsSync(p)) ?? "psql";

const dir = mkdtempSync(join(tmpdir(), "ebdb-appbouncer-"));
const out = join(dir, "bundle");
const run = join(dir, "run");
const env = { ...process.env, EBDB_TARGET: "" };
const app = `apb${process.pid % 10000}`;

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
/** Every file under `d`, recursively. */
function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
  );
}
function stopBouncer(): void {
  const pidFile = join(run, "pgbouncer.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, "SIGINT");
  } catch {
    // gone already
  }
}

let port = 0;
let appEnv: Record<string, string> = {};

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="false"',
      "",
    ].join("\n"),
  );
  port = await freePort();
});
afterAll(async () => {
  stopBouncer();
  if (!skip) await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(skip)("ebdb pooler pgbouncer", () => {
  test("writes pgbouncer.ini with the computed pool, start.sh, Dockerfile lines and the EB hooks", async () => {
    const r = await ebdb("pooler", "pgbouncer", "--out", out, "--port", String(port));
    expect(r.code, r.err).toBe(0);
    expect(r.out.split("\n").filter(Boolean)).toEqual([
      "wrote ebdb-pgbouncer/pgbouncer.ini (0644)",
      "wrote ebdb-pgbouncer/start.sh (0755)",
      "wrote ebdb-pgbouncer/Dockerfile.pgbouncer (0644)",
      "wrote .platform/hooks/predeploy/50-ebdb-pgbouncer.sh (0755)",
      "wrote .platform/confighooks/predeploy/50-ebdb-pgbouncer.sh (0755)",
    ]);
    // Locally: max_connections 100 − 3 superuser_reserved_connections − 5 kept = 92 for one instance.
    expect(r.err).toContain("default_pool_size 92 per application instance");
    const ini = readFileSync(join(out, "ebdb-pgbouncer/pgbouncer.ini"), "utf8");
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^max_client_conn = 1000$/m);
    expect(ini).toMatch(/^default_pool_size = 92$/m);
    expect(ini).toMatch(/^server_tls_sslmode = verify-full$/m);
    expect(ini).toMatch(new RegExp(`^listen_port = ${port}$`, "m"));
    // The shell scripts parse as POSIX sh (dash: Debian's /bin/sh; EB's Amazon Linux runs bash as sh).
    for (const f of ["ebdb-pgbouncer/start.sh", ".platform/hooks/predeploy/50-ebdb-pgbouncer.sh"]) {
      const sh = spawnSync(existsSync("/usr/bin/dash") ? "/usr/bin/dash" : "sh", ["-n", join(out, f)], {
        encoding: "utf8",
      });
      expect(sh.stderr, f).toBe("");
    }
    expect(readFileSync(join(out, "ebdb-pgbouncer/Dockerfile.pgbouncer"), "utf8")).toContain(
      "COPY ebdb-pgbouncer/ /opt/ebdb-pgbouncer/",
    );
    // A second run changes nothing.
    const again = await ebdb("pooler", "pgbouncer", "--out", out, "--port", String(port));
    expect(again.out).not.toContain("wrote");
    // On AWS, four instances (EB's default MaxSize) share what RDS's max_connections for the class leaves.
    const aws = await ebdb("pooler", "pgbouncer", "--out", join(dir, "aws"), "--target", "aws", "--json");
    expect(aws.code, aws.err).toBe(0);
    const j = JSON.parse(aws.out) as {
      poolSize: number;
      sizing: { instances: number; available: number };
      notes: string[];
    };
    expect(j.sizing.instances).toBe(4);
    expect(j.notes).toEqual([]);
    expect(j.poolSize).toBe(Math.floor(j.sizing.available / 4));
  }, 30_000);

  test("behind RDS Proxy, it says a pooler is there already", async () => {
    const proxied = join(dir, "proxied");
    mkdirSync(proxied);
    writeFileSync(
      join(proxied, "config.env"),
      `APP_NAME="${app}"\nENV_NAME="prod"\nDB_RDS_PROXY_ENABLED="true"\n`,
    );
    const o = captureOutput();
    expect(await main(["pooler", "pgbouncer", "--target", "aws"], o, env, proxied)).toBe(0);
    expect(o.stderr()).toContain(
      "note: DB_RDS_PROXY_ENABLED is on: RDS Proxy already pools in front of the primary",
    );
  });

  test("bad flags are exit 2 naming the flag", async () => {
    const r = await ebdb("pooler", "pgbouncer", "--out", join(dir, "x"), "--max-instances", "zero");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--max-instances zero is not a whole number");
    expect(existsSync(join(dir, "x"))).toBe(false);
  });

  test("start.sh starts PgBouncer from the environment ebdb gives, in front of the local primary", async () => {
    expect((await ebdb("up")).code).toBe(0);
    const ctx = { cwd: dir, env, io: new RecordingIoHost(true) };
    const script = join(out, "ebdb-pgbouncer/start.sh");
    const sql = "SELECT inet_server_port(), s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()";
    const launch = await execLaunch(ctx, {
      command: [script, "--", "sh", "-c", `"${psqlBin}" "$DATABASE_POOL_URL" -Atc "${sql}"`],
    });
    appEnv = launch.env;
    const r = spawnSync(launch.command, launch.args, {
      env: { ...launch.env, EBDB_PGBOUNCER_RUN_DIR: run },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // psql reached the primary through PgBouncer, whose connection to the primary is TLS.
    expect(r.stdout.trim()).toBe(`${launch.env.DB_PORT}|t`);
    // The command ended: PgBouncer stopped with it and the password file went (a new user's
    // `ebdb exec -- start.sh -- cmd` had left both behind).
    expect(existsSync(join(run, "userlist.txt"))).toBe(false);
    expect(existsSync(join(run, "pgbouncer.pid"))).toBe(false);
    expect(spawnSync("pgrep", ["-f", `pgbouncer.*${out}`]).status).toBe(1);
    // The command keeps its standard input and its exit status.
    const cat = spawnSync(script, ["--", "sh", "-c", "cat; exit 3"], {
      env: { ...launch.env, EBDB_PGBOUNCER_RUN_DIR: run },
      input: "through",
      encoding: "utf8",
      timeout: 30_000,
    });
    expect([cat.status, cat.stdout]).toEqual([3, "through"]);
    // The cases below use one left running.
    const daemon = spawnSync(script, ["--daemon"], {
      env: { ...launch.env, EBDB_PGBOUNCER_RUN_DIR: run },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(daemon.status, daemon.stderr).toBe(0);
  }, 60_000);

  test("500 concurrent clients' transactions never take more server connections than the pool", async () => {
    const url = `postgres://${encodeURIComponent(appEnv.DB_USERNAME)}:${encodeURIComponent(appEnv.DB_PASSWORD)}@127.0.0.1:${port}/${appEnv.DB_NAME}`;
    const direct = new pg.Client({ connectionString: appEnv.DATABASE_URL });
    await direct.connect();
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const r = await direct.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
          [appEnv.DB_USERNAME],
        );
        peak = Math.max(peak, Number(r.rows[0].n));
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    const failures: string[] = [];
    let done = 0;
    await Promise.all(
      Array.from({ length: 500 }, async () => {
        const c = new pg.Client({ connectionString: url });
        c.on("error", () => {});
        try {
          await c.connect();
          for (let n = 0; n < 3; n++) {
            await c.query("BEGIN");
            await c.query("SELECT pg_sleep(0.005)");
            await c.query("COMMIT");
          }
          done++;
        } catch (e) {
          failures.push(String(e));
        } finally {
          await c.end().catch(() => {});
        }
      }),
    );
    sampling = false;
    await sampler;
    await direct.end();
    expect(failures.slice(0, 3)).toEqual([]);
    expect(done).toBe(500);
    // 500 clients: more than max_connections (100) would take directly; PgBouncer held them to its pool.
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(92);
  }, 180_000);

  test("a wrong password is refused", async () => {
    const c = new pg.Client({
      connectionString: `postgres://${encodeURIComponent(appEnv.DB_USERNAME)}:wrong@127.0.0.1:${port}/${appEnv.DB_NAME}`,
    });
    c.on("error", () => {});
    const refused = await c.connect().then(
      () => null,
      (e: Error) => e.message,
    );
    await c.end().catch(() => {});
    expect(refused).toMatch(/password authentication failed|SASL authentication failed/);
  });

  test("nothing secret is left in --out; userlist.txt (0600) is in the run directory only", () => {
    const files = walk(out);
    expect(files.length).toBe(5);
    for (const f of files) expect(readFileSync(f, "utf8")).not.toContain(appEnv.DB_PASSWORD);
    const userlist = join(run, "userlist.txt");
    expect(statSync(userlist).mode & 0o777).toBe(0o600);
    expect(statSync(run).mode & 0o777).toBe(0o700);
    expect(readFileSync(userlist, "utf8")).toContain(appEnv.DB_USERNAME);
    // Nor in any process's arguments: PgBouncer's are its binary, -d, -u USER and the ini.
    const pid = Number(readFileSync(join(run, "pgbouncer.pid"), "utf8"));
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain(appEnv.DB_PASSWORD);
    // As root, start.sh has PgBouncer drop to an unprivileged user.
    if (process.getuid?.() === 0) {
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      expect(uid).not.toBe("0");
    }
  });

  test("--daemon replaces the running PgBouncer; without the settings start.sh says which is missing", async () => {
    const before = Number(readFileSync(join(run, "pgbouncer.pid"), "utf8"));
    const script = join(out, "ebdb-pgbouncer/start.sh");
    // From a shell whose descriptor limit is the usual 1024: PgBouncer gets room for 1000 clients.
    const r = spawnSync("sh", ["-c", 'ulimit -Sn 1024 && exec "$0" --daemon', script], {
      env: { ...appEnv, EBDB_PGBOUNCER_RUN_DIR: run },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const after = Number(readFileSync(join(run, "pgbouncer.pid"), "utf8"));
    expect(after).not.toBe(before);
    expect(existsSync(`/proc/${before}`)).toBe(false);
    const soft = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${after}/limits`, "utf8"))?.[1];
    expect(Number(soft)).toBeGreaterThanOrEqual(4096);
    const { DB_PASSWORD: _, ...noPassword } = appEnv;
    const bad = spawnSync(script, ["--daemon"], {
      env: { ...noPassword, EBDB_PGBOUNCER_RUN_DIR: join(dir, "run2") },
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("DB_PASSWORD is not set");
  }, 60_000);
});
