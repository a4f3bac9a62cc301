// `ebdb doctor` on a healthy local database against its floor: the same SQL run by hand with psql
// (every query of doctor/sql.ts and the pg_stat_statements read, in one psql session over TLS, as
// the master user), interleaved in the same run so machine noise hits both. Also the library call
// alone (no Node start). What doctor adds: Node's start, reading config.env, the node's status
// (processes, ports, the primary's views), the connection path (DNS, TCP, TLS, a login) and the
// server's CPU over a 250 ms sample, which runs beside the SQL. Run after `npm run build`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, timeRun } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
if (spawnSync("psql", ["--version"]).status !== 0) {
  console.log("no psql client here: skipped");
  process.exit(0);
}
const { main } = await import(join(root, "dist/cli/main.js"));
const { psql } = await import(join(root, "dist/api/psql.js"));
const { doctor } = await import(join(root, "dist/api/doctor.js"));
const { HEALTH_QUERIES } = await import(join(root, "dist/doctor/sql.js"));
const st = await import(join(root, "dist/doctor/statements-sql.js"));

const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-doctor-"));
writeFileSync(
  join(dir, "config.env"),
  `APP_NAME="benchdoc${process.pid % 1000}"\nENV_NAME="dev"\nDB_READ_REPLICA_ENABLED="false"\n`,
);
// By hand: the same statements doctor runs, in one session (the extension's view as doctor makes it).
const cols = { total: "total_exec_time", mean: "mean_exec_time", max: "max_exec_time" };
const sqlFile = join(dir, "doctor.sql");
writeFileSync(
  sqlFile,
  [
    "SET statement_timeout = '5s'; SET lock_timeout = '1s';",
    ...HEALTH_QUERIES.map((q) => `${q.sql};`),
    `${st.STATEMENTS_LOOKUP_SQL};`,
    "BEGIN;",
    `${st.statementsViewSql("public")};`,
    `${st.STATEMENTS_VERIFY_SQL};`,
    `${st.statementsTopSql(cols)};`,
    "ROLLBACK;",
    "",
  ].join("\n"),
);
const env = { ...process.env, EBDB_TARGET: "" };
const quiet = { out() {}, err() {}, color: false, isTTY: false };
const io = { event() {}, confirm: async () => true };
const runs = Number(process.env.BENCH_RUNS ?? 15);
try {
  if ((await main(["up"], quiet, env, dir)) !== 0) throw new Error("ebdb up failed");
  const launch = await psql({ cwd: dir, env, io });
  const byHand = () =>
    timeRun(launch.command, ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", sqlFile], {
      env: launch.env,
      expectStatus: 0,
    });
  const cli = () => timeRun(process.execPath, [bin, "doctor", "--json"], { cwd: dir, env, expectStatus: 0 });
  // CPU seconds (user + system) of one run, which a busy machine inflates less than wall time.
  const timeFile = join(dir, "time.txt");
  const cpuOf = (cmd, args, opts) => {
    if (!existsSync("/usr/bin/time")) return Number.NaN;
    timeRun("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, cmd, ...args], { ...opts, expectStatus: 0 });
    const [u, s] = readFileSync(timeFile, "utf8").trim().split(/\s+/).slice(-2).map(Number);
    return (u + s) * 1000;
  };
  const lib = async () => {
    const t0 = process.hrtime.bigint();
    const r = await doctor({ cwd: dir, env, io });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const bad = r.checks.filter((c) => c.status !== "green" && c.status !== "skipped");
    if (bad.length) throw new Error(`not all green: ${bad.map((c) => `${c.id}: ${c.summary}`).join("; ")}`);
    return ms;
  };
  byHand();
  cli();
  await lib();
  const h = [];
  const c = [];
  const l = [];
  for (let i = 0; i < runs; i++) {
    h.push(byHand());
    c.push(cli());
    l.push(await lib());
  }
  console.log(`doctor on a healthy local database, all green (${runs} runs each, interleaved)`);
  console.log(`  the same SQL by hand (psql -f)  median ${fmt(median(h))}`);
  console.log(`  ebdb doctor --json (CLI)        median ${fmt(median(c))}  max ${fmt(Math.max(...c))}`);
  console.log(`  doctor() in the library         median ${fmt(median(l))}  (no Node start)`);
  console.log(`  ratio CLI to by hand            ${(median(c) / median(h)).toFixed(2)}`);
  const hc = [];
  const cc = [];
  for (let i = 0; i < Math.min(runs, 7); i++) {
    hc.push(cpuOf(launch.command, ["-X", "-q", "-At", "-f", sqlFile], { env: launch.env }));
    cc.push(cpuOf(process.execPath, [bin, "doctor", "--json"], { cwd: dir, env }));
  }
  console.log(
    `  CPU time: by hand ${fmt(median(hc))}, CLI ${fmt(median(cc))} (the client processes, user + system)`,
  );
  const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  console.log(`  load average during the run     ${load} (wall times include waiting for a CPU)`);
  console.log(`  under 1 s                       ${median(c) < 1000 ? "yes" : "NO"}`);
} finally {
  await main(["destroy", "--yes"], quiet, env, dir);
  rmSync(dir, { recursive: true, force: true });
}
