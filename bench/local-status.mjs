// `ebdb status` on the local target (issue 13, item 6: under 0.2 s at any size), a primary and one
// replica, at each size, interleaved with its baselines in the same run: `node -e 0` (Node's own
// start) and `psql -c 'select 1'` (one TLS + SCRAM login and a query, as the application's user).
//   npm run build && node bench/local-status.mjs        BENCH_SIZES=0.1,1 (GB) BENCH_RUNS=15
//   BENCH_BEFORE=/path/to/other/checkout (built) also times its status in the same runs, interleaved
// Needs pgbench and psql (the system PostgreSQL's), and root or a user that can run the servers.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { libpqEnv, median } from "./lib.mjs";

const root = process.env.BENCH_EBDB ?? fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const before = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, "bin", "ebdb.js") : null;
const runs = Number(process.env.BENCH_RUNS ?? 15);
const sizes = (process.env.BENCH_SIZES ?? "0.1,1").split(",").map(Number);
const pgbench = process.env.BENCH_PGBENCH ?? "/usr/lib/postgresql/15/bin/pgbench";
const psql = process.env.BENCH_PSQL ?? "psql";

function sh(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.stdout}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out: r.stdout };
}
const ebdb = (dir, args) => sh(process.execPath, [bin, ...args], { cwd: dir });

console.log(`ebdb status, primary + 1 replica, ebdb from ${root}, medians of ${runs} interleaved runs`);
for (const gb of sizes) {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-status-"));
  const app = `bs${process.pid % 1000}${Math.floor(Math.random() * 1e5)}`;
  writeFileSync(
    join(dir, "config.env"),
    `APP_NAME="${app}"\nENV_NAME="dev"\nDB_BACKUP_RETENTION_DAYS="7"\nDB_READ_REPLICA_ENABLED="true"\nDB_READ_REPLICA_COUNT="1"\n`,
  );
  try {
    ebdb(dir, ["up", "--yes"]);
    const c = JSON.parse(ebdb(dir, ["env", "--format", "json"]).out);
    const env = { ...process.env, ...libpqEnv(c) };
    const scale = Math.max(1, Math.round(gb * 67));
    sh(pgbench, ["-i", "-q", "-s", String(scale)], { env });
    // A base backup of the loaded data, so the backups folder holds the size too.
    ebdb(dir, ["snapshot", "create", `${app}-loaded`]);
    const t = { node: [], psql: [], status: [], before: [] };
    ebdb(dir, ["status"]);
    for (let i = 0; i < runs; i++) {
      t.node.push(sh(process.execPath, ["-e", "0"]).ms);
      t.psql.push(sh(psql, ["-X", "-q", "-c", "select 1"], { env }).ms);
      t.status.push(ebdb(dir, ["status"]).ms);
      if (before) t.before.push(sh(process.execPath, [before, "status"], { cwd: dir }).ms);
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    console.log(`\n${gb} GB (pgbench scale ${scale}):`);
    console.log(`  ${"node -e 0".padEnd(26)} ${m.node.toFixed(0).padStart(5)} ms`);
    console.log(`  ${"psql -c 'select 1'".padEnd(26)} ${m.psql.toFixed(0).padStart(5)} ms`);
    console.log(
      `  ${"ebdb status".padEnd(26)} ${m.status.toFixed(0).padStart(5)} ms  ${(m.status / m.node).toFixed(2)}x node -e 0, ${(m.status / m.psql).toFixed(2)}x psql`,
    );
    if (before)
      console.log(
        `  ${"ebdb status (BENCH_BEFORE)".padEnd(26)} ${m.before.toFixed(0).padStart(5)} ms  ${(m.before / m.node).toFixed(2)}x node -e 0, ${(m.before / m.psql).toFixed(2)}x psql`,
      );
  } finally {
    spawnSync(process.execPath, [bin, "destroy", "--yes"], { cwd: dir, stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }
}
