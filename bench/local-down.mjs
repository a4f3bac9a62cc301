// `ebdb down` of the local target against stopping the same servers by hand with
// `pg_ctl stop -m fast` (one after another, and all at once), interleaved in the same run so machine
// noise hits both. Run after `npm run build`:
//   node bench/local-down.mjs          (BENCH_RUNS=7, BENCH_PG_MAJOR=16: the npm-shipped binaries)
// Aim (issue 7, item 20): `ebdb down` within 2x of `pg_ctl stop -m fast`, for 1 and 3 nodes.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const runs = Number(process.env.BENCH_RUNS ?? 7);
const major = process.env.BENCH_PG_MAJOR ?? "16";
const version = { 15: "15.8", 16: "16.8", 17: "17.4" }[major] ?? `${major}.1`;

const { findBinaries } = await import(join(root, "dist/targets/local/binaries.js"));
const serverUser = await import(join(root, "dist/targets/local/server-user.js"));
const { cacheRoot } = await import(join(root, "dist/targets/local/layout.js"));
// Earlier builds (before one OS user per project) had one server user for everything.
const cacheUser = serverUser.templateUser
  ? serverUser.templateUser(process.env)
  : serverUser.resolveServerUser(process.env);
const bins = await findBinaries(major, {
  env: process.env,
  cwd: root,
  user: cacheUser,
  cacheRoot: cacheRoot(process.env, cacheUser),
});
const pgEnv = { PATH: process.env.PATH, LC_ALL: "C" };

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function ebdb(dir, ...args) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ebdb ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function project(nodes) {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-down-"));
  const app = `benchdown${process.pid % 1000}${nodes}`;
  const replicas = nodes - 1;
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      `DB_ENGINE_VERSION="${version}"`,
      `DB_READ_REPLICA_ENABLED="${replicas > 0}"`,
      ...(replicas > 0
        ? [
            `DB_READ_REPLICA_COUNT="${replicas}"`,
            `DB_READ_REPLICA_MIN_CAPACITY="${replicas}"`,
            `DB_READ_REPLICA_MAX_CAPACITY="${replicas}"`,
          ]
        : []),
      "",
    ].join("\n"),
  );
  ebdb(dir, "up");
  const status = JSON.parse(ebdb(dir, "status", "--json"));
  // Where layout.ts puts the data: in the project, or (as root, when the project's server user
  // cannot reach it) /var/lib/ebdb/<identifier>-<hash of the project path>.
  const inProject = join(dir, ".ebdb", status.identifier);
  const hash = createHash("sha256").update(resolve(dir)).digest("hex").slice(0, 10);
  const system = join(process.env.EBDB_SYSTEM_DIR || "/var/lib/ebdb", `${status.identifier}-${hash}`);
  // (Earlier builds wrote a data-root pointer instead: read it, so the bench also runs on them.)
  const pointer = join(inProject, "data-root");
  const dataRoot = existsSync(pointer)
    ? readFileSync(pointer, "utf8").trim()
    : existsSync(join(inProject, "nodes"))
      ? inProject
      : system;
  const pgdatas = status.nodes.map((n) => join(dataRoot, "nodes", n.name, "pgdata"));
  if (pgdatas.length !== nodes) throw new Error(`expected ${nodes} nodes, got ${pgdatas.length}`);
  // pg_ctl refuses to run as root: run it as the servers' own user (the data's owner), as by hand.
  const st = statSync(pgdatas[0]);
  const asUser = process.getuid?.() === 0 ? { uid: st.uid, gid: st.gid } : {};
  return { dir, pgdatas, asUser };
}

/** Starts every node (not timed) and checks that all run. */
function upAll(p) {
  ebdb(p.dir, "up");
  const s = JSON.parse(ebdb(p.dir, "status", "--json"));
  if (!s.nodes.every((n) => n.state === "running"))
    throw new Error(`not all running: ${JSON.stringify(s.nodes)}`);
}

/** After a stop: no postmaster.pid left, and status agrees. */
function checkStopped(p) {
  for (const d of p.pgdatas)
    if (existsSync(join(d, "postmaster.pid"))) throw new Error(`${d} still has postmaster.pid`);
  const s = JSON.parse(ebdb(p.dir, "status", "--json"));
  if (!s.nodes.every((n) => n.state === "stopped"))
    throw new Error(`not stopped: ${JSON.stringify(s.nodes)}`);
}

function timeDown(p) {
  upAll(p);
  const t0 = process.hrtime.bigint();
  ebdb(p.dir, "down");
  const t = ms(t0);
  checkStopped(p);
  return t;
}

/** `ebdb --version`: Node's start and the CLI's entry, which every ebdb command pays before any work. */
function timeCliStart() {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, "--version"], { stdio: "ignore" });
  if (r.status !== 0) throw new Error("ebdb --version failed");
  return ms(t0);
}

function pgCtlStop(p, pgdata) {
  return spawnSync(join(bins.bindir, "pg_ctl"), ["stop", "-m", "fast", "-D", pgdata], {
    ...p.asUser,
    env: pgEnv,
    cwd: "/",
    stdio: "ignore",
  });
}

function timePgCtlSequential(p) {
  upAll(p);
  const t0 = process.hrtime.bigint();
  for (const d of p.pgdatas) if (pgCtlStop(p, d).status !== 0) throw new Error(`pg_ctl stop ${d} failed`);
  const t = ms(t0);
  checkStopped(p);
  return t;
}

/** Every pg_ctl at once (a shell's `&` and `wait`): the best one can do by hand. */
function timePgCtlParallel(p) {
  upAll(p);
  const script = p.pgdatas
    .map((d) => `"${join(bins.bindir, "pg_ctl")}" stop -m fast -D "${d}" >/dev/null &`)
    .join("\n");
  const t0 = process.hrtime.bigint();
  const r = spawnSync("sh", ["-c", `${script}\nwait`], { ...p.asUser, env: pgEnv, cwd: "/" });
  const t = ms(t0);
  if (r.status !== 0) throw new Error("pg_ctl stop failed");
  checkStopped(p);
  return t;
}

console.log(
  `local down vs pg_ctl stop -m fast: PostgreSQL ${bins.version} (${bins.source}), ${runs} runs each, interleaved`,
);
const projects = [];
try {
  for (const nodes of [1, 3]) {
    const p = project(nodes);
    projects.push(p);
    timeDown(p); // warm-up
    const down = [];
    const seq = [];
    const par = [];
    const start = [];
    for (let i = 0; i < runs; i++) {
      seq.push(timePgCtlSequential(p));
      down.push(timeDown(p));
      start.push(timeCliStart());
      if (nodes > 1) par.push(timePgCtlParallel(p));
    }
    const base = median(seq);
    const row = (label, xs) =>
      console.log(
        `  ${label.padEnd(46)} median ${median(xs).toFixed(0).padStart(5)} ms  ratio ${(median(xs) / base).toFixed(2)}`,
      );
    console.log(`\n${nodes} node(s):`);
    row("pg_ctl stop -m fast, one node after another", seq);
    if (par.length) row("pg_ctl stop -m fast, all at once", par);
    row("ebdb down (the whole command)", down);
    row("  of which any ebdb command's start (--version)", start);
    const ratio = median(down) / base;
    console.log(
      `  aim: ebdb down <= 2x pg_ctl stop -m fast: ${ratio <= 2 ? "met" : "NOT met"} (${ratio.toFixed(2)})`,
    );
  }
} finally {
  for (const p of projects) {
    const r = spawnSync(process.execPath, [bin, "destroy", "--yes"], { cwd: p.dir, encoding: "utf8" });
    if (r.status !== 0) console.error(`ebdb destroy failed in ${p.dir}: ${r.stderr}`);
    rmSync(p.dir, { recursive: true, force: true });
  }
}
