// `ebdb psql -c 'select 1'` against psql alone given the same connection (its environment from
// ebdb's library API), interleaved in the same run so machine noise hits both. What ebdb adds is
// Node's start, reading config.env, finding the node (as `ebdb url` does, timed too), and starting
// psql under setpriv with signals handled. Run after `npm run build`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-psql-"));
writeFileSync(
  join(dir, "config.env"),
  `APP_NAME="benchpsql${process.pid % 1000}"\nENV_NAME="dev"\nDB_READ_REPLICA_ENABLED="false"\n`,
);
const env = { ...process.env, EBDB_TARGET: "" };
const quiet = { out() {}, err() {}, color: false, isTTY: false };
const runs = Number(process.env.BENCH_RUNS ?? 15);
try {
  if ((await main(["up"], quiet, env, dir)) !== 0) throw new Error("ebdb up failed");
  const launch = await psql({ cwd: dir, env, io: { event() {}, confirm: async () => true } });
  const args = ["-X", "-At", "-c", "select 1"];
  const alone = () => timeRun(launch.command, args, { env: launch.env, expectStatus: 0 });
  const url = () => timeRun(process.execPath, [bin, "url"], { cwd: dir, env, expectStatus: 0 });
  const ours = () => timeRun(process.execPath, [bin, "psql", ...args], { cwd: dir, env, expectStatus: 0 });
  alone();
  url();
  ours();
  const a = [];
  const u = [];
  const o = [];
  for (let i = 0; i < runs; i++) {
    a.push(alone());
    u.push(url());
    o.push(ours());
  }
  console.log(`psql -c 'select 1' (${runs} runs each, interleaved)`);
  console.log(`  psql alone            median ${fmt(median(a))}`);
  console.log(`  ebdb url              median ${fmt(median(u))}  (ebdb's own start: Node, config, target)`);
  console.log(`  ebdb psql             median ${fmt(median(o))}`);
  console.log(`  ratio to psql alone   ${(median(o) / median(a)).toFixed(2)}`);
  const launchCost = median(o) - median(u) - median(a);
  console.log(`  launching psql costs  ${fmt(launchCost)} beyond ebdb url + psql alone`);
} finally {
  await main(["destroy", "--yes"], quiet, env, dir);
  rmSync(dir, { recursive: true, force: true });
}
