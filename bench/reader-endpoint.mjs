// What the local reader endpoint (the TCP balancer `ebdb autoscale run` serves) costs a read load,
// against the same load sent straight to the replica, interleaved in the same run. After `npm run build`:
//   node bench/reader-endpoint.mjs        (BENCH_RUNS=3 rounds, BENCH_SECONDS=5 per pgbench run)
// Two loads: pgbench -S on 4 kept connections (the bytes' path), and pgbench -S -C, a new
// connection per transaction (the balancer's accept-and-connect path, TLS and SCRAM each time).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const pgbench = "/usr/lib/postgresql/15/bin/pgbench";
const runs = Number(process.env.BENCH_RUNS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-reader-"));
const app = `rb${process.pid % 10000}`;
writeFileSync(
  join(dir, "config.env"),
  [
    `APP_NAME="${app}"`,
    'ENV_NAME="dev"',
    'DB_ENGINE_VERSION="15.8"',
    'DB_READ_REPLICA_ENABLED="true"',
    'DB_READ_REPLICA_COUNT="1"',
    'DB_READ_REPLICA_MIN_CAPACITY="1"',
    'DB_READ_REPLICA_MAX_CAPACITY="1"',
    "",
  ].join("\n"),
);
const ebdb = (...args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ebdb ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

let runner;
try {
  ebdb("up", "--yes");
  const vars = JSON.parse(ebdb("env", "--format", "json"));
  const status = JSON.parse(ebdb("status", "--json"));
  const replicaPort = status.nodes.find((n) => n.role === "replica").port;
  const env = (port) => ({
    ...process.env,
    PGHOST: "127.0.0.1",
    PGPORT: String(port),
    PGUSER: vars.DB_USERNAME,
    PGPASSWORD: vars.DB_PASSWORD,
    PGDATABASE: vars.DB_NAME,
    PGSSLMODE: "require",
  });
  spawnSync(pgbench, ["-i", "-s", "1", "-q"], { env: env(vars.DB_PORT), stdio: "ignore" });
  // min = max: the runner only serves the endpoint here (no scaling during the measurement).
  runner = spawn(process.execPath, [bin, "autoscale", "run"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const readerPort = await new Promise((resolve, reject) => {
    let out = "";
    runner.stdout.on("data", (b) => {
      out += b;
      if (/Reader endpoint: \+/.test(out)) resolve(Number(/reader endpoint 127\.0\.0\.1:(\d+)/.exec(out)[1]));
    });
    setTimeout(() => reject(new Error(`the runner did not serve the endpoint: ${out}`)), 30_000);
  });

  const tps = (port, extra) => {
    const r = spawnSync(pgbench, ["-S", "-n", "-c", "4", "-j", "2", "-T", String(seconds), ...extra], {
      env: env(port),
      encoding: "utf8",
    });
    const m = /tps = ([\d.]+)/.exec(r.stdout);
    if (!m) throw new Error(`pgbench: ${r.stdout}${r.stderr}`);
    return Number(m[1]);
  };
  const loads = [
    ["pgbench -S, 4 kept connections", []],
    ["pgbench -S -C, a connection per transaction", ["-C"]],
  ];
  const results = loads.map(() => ({ direct: [], endpoint: [] }));
  for (let i = 0; i < runs; i++) {
    for (const [k, [, extra]] of loads.entries()) {
      results[k].direct.push(tps(replicaPort, extra));
      results[k].endpoint.push(tps(readerPort, extra));
    }
  }
  console.log(`${runs} rounds of ${seconds} s each, medians (transactions per second):`);
  console.log("| load | straight to the replica | through the reader endpoint | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [k, [name]] of loads.entries()) {
    const d = median(results[k].direct);
    const e = median(results[k].endpoint);
    console.log(`| ${name} | ${d.toFixed(0)} | ${e.toFixed(0)} | ${(e / d).toFixed(2)} |`);
  }
} finally {
  runner?.kill("SIGINT");
  await new Promise((r) => (runner ? runner.on("exit", r) : r()));
  spawnSync(process.execPath, [bin, "destroy", "--yes"], { cwd: dir, stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
