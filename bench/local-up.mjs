// Cold `ebdb up` of the local target against doing the same by hand (initdb, then pg_ctl start -w),
// interleaved in the same run so machine noise hits both. Run after `npm run build`:
//   node bench/local-up.mjs            (BENCH_RUNS=5, BENCH_PG_MAJOR=16: the npm-shipped binaries)
// Aims (issue 3): the primary ready in under half the by-hand time; primary + replica in less than
// the by-hand primary alone. Peak memory: the ebdb process's max RSS, and the servers' RSS once ready.
import { spawnSync } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initdbAndStart, median, stopImmediate } from "./lib.mjs";

// BENCH_EBDB=/path/to/other/checkout times another build (its bin/ and dist/).
const root = process.env.BENCH_EBDB ?? fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const major = process.env.BENCH_PG_MAJOR ?? "16";
const version = { 15: "15.8", 16: "16.8", 17: "17.4" }[major] ?? `${major}.1`;

const { findBinaries } = await import(join(root, "dist/targets/local/binaries.js"));
const { templateUser } = await import(join(root, "dist/targets/local/server-user.js"));
const { cacheRoot } = await import(join(root, "dist/targets/local/layout.js"));
// The by-hand baseline runs as the unprivileged template user (no project of its own).
const user = templateUser(process.env);
const cache = cacheRoot(process.env, user);
const bins = await findBinaries(major, { env: process.env, cwd: root, user, cacheRoot: cache });
const asUser = user.switchUser ? { uid: user.uid, gid: user.gid } : {};
const maxrssHook = join(tmpdir(), `ebdb-bench-maxrss-${process.pid}.cjs`);
writeFileSync(
  maxrssHook,
  'process.on("exit", () => require("fs").writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));',
);

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Resident memory (KiB) of the processes working in a data directory (Linux). */
function serverRss(pgdata) {
  if (process.platform !== "linux") return null;
  let kib = 0;
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (readlinkSync(`/proc/${p}/cwd`) !== pgdata) continue;
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) kib += Number(m[1]);
    } catch {}
  }
  return kib;
}

function project(replicas) {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-"));
  const app = `bench${process.pid % 1000}${Math.floor(Math.random() * 1e6)}`;
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      `DB_ENGINE_VERSION="${version}"`,
      `DB_READ_REPLICA_ENABLED="${replicas > 0}"`,
      `DB_READ_REPLICA_COUNT="${replicas || 1}"`,
      `DB_READ_REPLICA_MIN_CAPACITY="${replicas || 1}"`,
      `DB_READ_REPLICA_MAX_CAPACITY="${replicas || 1}"`,
      "",
    ].join("\n"),
  );
  return dir;
}

/** Background work of an earlier run (spare template copies, sync) must not weigh on the next measurement. */
function settle() {
  const spares = [];
  const templates = join(cache, "templates");
  if (existsSync(templates))
    for (const t of readdirSync(templates)) spares.push(join(templates, t, "spares"));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const busy = spares.some((d) => existsSync(d) && readdirSync(d).some((n) => n.endsWith(".tmp")));
    if (!busy) break;
    spawnSync("sleep", ["0.1"]);
  }
  spawnSync("sync");
  spawnSync("sleep", ["0.3"]);
}

function ebdbUp(replicas, env = {}) {
  settle();
  const dir = project(replicas);
  const rssFile = join(dir, "maxrss");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--require", maxrssHook, bin, "up", "--json"], {
    cwd: dir,
    env: { ...process.env, ...env, BENCH_RSS_FILE: rssFile },
    encoding: "utf8",
  });
  const wall = ms(t0);
  if (r.status !== 0) throw new Error(`ebdb up failed: ${r.stderr}`);
  const status = JSON.parse(
    spawnSync(process.execPath, [bin, "status", "--json"], { cwd: dir, encoding: "utf8" }).stdout,
  );
  const pointer = join(dir, ".ebdb", status.identifier, "data-root");
  const dataRoot = existsSync(pointer)
    ? readFileSync(pointer, "utf8").trim()
    : join(dir, ".ebdb", status.identifier);
  const rss = status.nodes.reduce(
    (a, n) => a + (serverRss(join(dataRoot, "nodes", n.name, "pgdata")) ?? 0),
    0,
  );
  const ready = status.nodes.every((n) => n.state === "running") && status.nodes.length === replicas + 1;
  const cliRssKiB = Number(readFileSync(rssFile, "utf8"));
  spawnSync(process.execPath, [bin, "destroy", "--yes"], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
  if (!ready) throw new Error(`not every node is running: ${JSON.stringify(status.nodes)}`);
  return { wall, cliRssKiB, serverRssKiB: rss };
}

let handPort = 6400 + (process.pid % 500);
function byHand() {
  settle();
  const base = user.switchUser ? "/var/lib/ebdb" : tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = join(base, `bench-by-hand-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  if (user.switchUser) chownSync(dir, user.uid, user.gid);
  handPort++;
  const wall = initdbAndStart(bins.bindir, dir, handPort, asUser);
  const rss = serverRss(dir);
  stopImmediate(bins.bindir, dir, asUser);
  rmSync(dir, { recursive: true, force: true });
  return { wall, serverRssKiB: rss };
}

console.log(
  `local up vs by hand: PostgreSQL ${bins.version} (${bins.source}, ${bins.bindir}), ${runs} runs each, interleaved`,
);
// Warm-up: builds the initdb template once (cached per binary version), and warms the file cache.
ebdbUp(0);
byHand();

const hand = [];
const primary = [];
const withReplica = [];
const withTwo = [];
const noCache = [];
for (let i = 0; i < runs; i++) {
  hand.push(byHand());
  primary.push(ebdbUp(0));
  // Right after a one-node run: the spares are what that run left (issue 13, item 2).
  withTwo.push(ebdbUp(2));
  withReplica.push(ebdbUp(1));
  noCache.push(ebdbUp(0, { EBDB_TEMPLATE_CACHE: "off" }));
}
const med = (xs, k) => median(xs.map((x) => x[k]));
const h = med(hand, "wall");
const row = (label, xs) => {
  const w = med(xs, "wall");
  const mem =
    xs[0].cliRssKiB === undefined
      ? ""
      : `  ebdb process peak ${(med(xs, "cliRssKiB") / 1024).toFixed(0)} MiB,`;
  console.log(
    `  ${label.padEnd(44)} median ${w.toFixed(0).padStart(5)} ms  ratio ${(w / h).toFixed(2)}${mem}  servers ${(med(xs, "serverRssKiB") / 1024).toFixed(0)} MiB RSS`,
  );
  return w / h;
};
console.log("");
row("by hand: initdb + pg_ctl start -w (baseline)", hand);
const r1 = row("ebdb up, primary (template cached)", primary);
const r2 = row("ebdb up, primary + 1 replica (template cached)", withReplica);
row("ebdb up, primary + 2 replicas (template cached)", withTwo);
row("ebdb up, primary, no cache (initdb each time)", noCache);
console.log("");
console.log(`  aim: primary < 0.5 × by hand: ${r1 < 0.5 ? "ok" : "MISSED"} (${r1.toFixed(2)})`);
console.log(`  aim: primary + replica < 1 × by hand: ${r2 < 1 ? "ok" : "MISSED"} (${r2.toFixed(2)})`);
console.log(
  "  (ebdb's times are the whole `ebdb up` command: Node start, config, creation, the first base backup.)",
);
rmSync(maxrssHook, { force: true });
