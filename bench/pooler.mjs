// The spec's "too many connections" trouble, measured on the local target: 200 concurrent clients
// running many short transactions (BEGIN; SELECT; COMMIT), each opening a new connection to the
// primary per transaction (the baseline: what an application without a pool does), against the same
// clients going through the local PgBouncer (DB_RDS_PROXY_ENABLED) — with a new connection to
// PgBouncer per transaction, and with one kept connection each. The arms alternate within each round.
// After `npm run build`:
//   node bench/pooler.mjs        (BENCH_RUNS=3 rounds, BENCH_SECONDS=5 per arm, BENCH_CLIENTS=200)
// Reports per arm the medians of: committed transactions/s, failed attempts/s (the server's "too
// many clients already"), and the server's peak connection count (pg_stat_activity, sampled every
// 10 ms, the application's user only).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { median } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = process.env.EBDB_BIN ?? join(root, "bin", "ebdb.js");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const clients = Number(process.env.BENCH_CLIENTS ?? 200);
const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-pooler-"));
const app = `pb${process.pid % 10000}`;
writeFileSync(
  join(dir, "config.env"),
  [
    `APP_NAME="${app}"`,
    'ENV_NAME="dev"',
    'DB_ENGINE_VERSION="15.8"',
    'DB_READ_REPLICA_ENABLED="false"',
    'DB_RDS_PROXY_ENABLED="true"',
    "",
  ].join("\n"),
);
const ebdb = (...args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ebdb ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

/** One transaction on a connected client: three round trips, nothing written. */
async function transaction(c, i) {
  await c.query("BEGIN");
  await c.query("SELECT $1::int AS i", [i]);
  await c.query("COMMIT");
}

/** Runs one arm for `seconds`; returns committed/s, failed/s and the server's peak connection count. */
async function arm(kind, vars, ca) {
  const url = (port) => ({
    host: "127.0.0.1",
    port: Number(port),
    user: vars.DB_USERNAME,
    password: vars.DB_PASSWORD,
    database: vars.DB_NAME,
    ssl: { ca, rejectUnauthorized: true },
  });
  const server = url(vars.DB_PORT);
  const target = kind === "direct" ? server : url(vars.DB_POOL_PORT);
  const sampler = new pg.Client(server);
  await sampler.connect();
  // Each arm starts from an empty server: PgBouncer keeps its idle server connections (600 s,
  // server_idle_timeout), which would otherwise hold the slots the direct arm needs.
  await sampler.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
    [vars.DB_USERNAME],
  );
  await new Promise((res) => setTimeout(res, 200));
  let peak = 0;
  let sampling = true;
  const sampling$ = (async () => {
    while (sampling) {
      const r = await sampler.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
        [vars.DB_USERNAME],
      );
      peak = Math.max(peak, r.rows[0].n);
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  let committed = 0;
  let failed = 0;
  const errors = new Map();
  const fail = (e) => {
    failed++;
    const m = String(e.message ?? e).slice(0, 60);
    errors.set(m, (errors.get(m) ?? 0) + 1);
  };
  const kept = kind === "pooled-kept" ? Array.from({ length: clients }, () => new pg.Client(target)) : [];
  for (const c of kept) c.on("error", () => {});
  await Promise.all(kept.map((c) => c.connect()));
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (Date.now() < end) {
        if (kind === "pooled-kept") {
          try {
            await transaction(kept[i], i);
            committed++;
          } catch (e) {
            fail(e);
          }
          continue;
        }
        const c = new pg.Client(target);
        c.on("error", () => {});
        try {
          await c.connect();
          await transaction(c, i);
          committed++;
        } catch (e) {
          fail(e);
        } finally {
          await c.end().catch(() => {});
        }
      }
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  await Promise.all(kept.map((c) => c.end().catch(() => {})));
  sampling = false;
  await sampling$;
  await sampler.end();
  // Let the server reap the backends before the next arm.
  await new Promise((res) => setTimeout(res, 500));
  return { tps: committed / elapsed, fps: failed / elapsed, peak, errors };
}

const arms = ["direct", "pooled-new", "pooled-kept"];
const label = {
  direct: "direct, new connection per transaction (baseline)",
  "pooled-new": "PgBouncer, new connection per transaction",
  "pooled-kept": "PgBouncer, one kept connection per client",
};
try {
  ebdb("up", "--yes");
  const vars = JSON.parse(ebdb("env", "--format", "json"));
  if (!vars.DATABASE_POOL_URL) throw new Error("no DATABASE_POOL_URL: is PgBouncer installed?");
  const ca = readFileSync(vars.PGSSLROOTCERT, "utf8");
  const results = Object.fromEntries(arms.map((a) => [a, []]));
  for (let r = 0; r < runs; r++) {
    for (const a of arms) {
      const x = await arm(a, vars, ca);
      results[a].push(x);
      const top = [...x.errors.entries()].sort((p, q) => q[1] - p[1])[0];
      console.log(
        `round ${r + 1} ${a.padEnd(11)} ${x.tps.toFixed(0).padStart(6)} tx/s  ${x.fps.toFixed(0).padStart(6)} failed/s  peak ${x.peak} server connections${top ? `  (${top[0]}…)` : ""}`,
      );
    }
  }
  const base = median(results.direct.map((x) => x.tps));
  console.log(`\n${clients} clients, ${seconds} s per arm, medians of ${runs} rounds (max_connections 100):`);
  for (const a of arms) {
    const tps = median(results[a].map((x) => x.tps));
    const fps = median(results[a].map((x) => x.fps));
    const peak = median(results[a].map((x) => x.peak));
    console.log(
      `  ${label[a].padEnd(52)} ${tps.toFixed(0).padStart(6)} tx/s (${(tps / base).toFixed(2)}×)  ${fps.toFixed(0).padStart(6)} failed/s  peak ${peak} server connections`,
    );
  }
} finally {
  try {
    ebdb("destroy", "--yes");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
