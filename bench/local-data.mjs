// The local target with data in it (issue 13): bulk load, snapshots, restores and `status` at a
// given size, each beside the same thing done by hand with the same binaries in the same run.
//   npm run build && node bench/local-data.mjs          BENCH_SIZES=0.1,1 (GB) BENCH_RUNS=3
//   BENCH_EBDB=/path/to/other/checkout node bench/local-data.mjs   (times another build: bin/ + dist/)
// Needs pgbench (the system PostgreSQL's), and root or a user that can run the servers.
import { spawnSync } from "node:child_process";
import {
  chownSync,
  existsSync,
  statSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { libpqEnv, median } from "./lib.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));
const root = process.env.BENCH_EBDB ?? here;
const bin = join(root, "bin", "ebdb.js");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sizes = (process.env.BENCH_SIZES ?? "0.1,1").split(",").map(Number);
const major = process.env.BENCH_PG_MAJOR ?? "16";
const version = { 15: "15.8", 16: "16.8", 17: "17.4" }[major] ?? `${major}.1`;
const pgbench = process.env.BENCH_PGBENCH ?? "/usr/lib/postgresql/15/bin/pgbench";

const { findBinaries } = await import(join(root, "dist/targets/local/binaries.js"));
const { templateUser, resolveServerUser } = await import(join(root, "dist/targets/local/server-user.js"));
const { cacheRoot, findLayout } = await import(join(root, "dist/targets/local/layout.js"));
const user = templateUser(process.env);
const bins = await findBinaries(major, {
  env: process.env,
  cwd: root,
  user,
  cacheRoot: cacheRoot(process.env, user),
});
const asUser = user.switchUser ? { uid: user.uid, gid: user.gid } : {};
const pgEnv = { PATH: process.env.PATH, LC_ALL: "C", TZ: "UTC" };
const scratch = user.switchUser ? "/var/lib/ebdb" : tmpdir();

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.stdout}`);
  return r;
}
function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = sh(cmd, args, opts);
  return { ms: ms(t0), out: r.stdout };
}
const ebdb = (dir, args, opts = {}) => timed(process.execPath, [bin, ...args], { cwd: dir, ...opts });
const du = (p) => (existsSync(p) ? Number(sh("du", ["-sb", p]).stdout.split("\t")[0]) : 0);
/** Bytes of files under `p`, a hard link counted once per call (du's rule), block-rounded. */
const duBlocks = (...ps) => {
  const xs = ps.filter(existsSync);
  return xs.length
    ? Number(
        sh("du", ["-sc", "-B1", ...xs])
          .stdout.trim()
          .split("\n")
          .at(-1)
          .split("\t")[0],
      )
    : 0;
};
const settle = () => {
  sh("sync", []);
  sh("sleep", ["0.5"]);
};

function newProject() {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-data-"));
  const app = `bd${process.pid % 1000}${Math.floor(Math.random() * 1e5)}`;
  writeFileSync(
    join(dir, "config.env"),
    `APP_NAME="${app}"\nENV_NAME="dev"\nDB_ENGINE_VERSION="${version}"\nDB_BACKUP_RETENTION_DAYS="7"\n`,
  );
  ebdb(dir, ["up", "--yes"]);
  const identifier = `${app}-dev-db`;
  const su = resolveServerUser(process.env, { dir, identifier });
  return {
    dir,
    identifier,
    layout: null,
    su,
    async init() {
      this.layout = await findLayout(dir, identifier, su, process.env);
      return this;
    },
  };
}

/** Waits until the archiver has nothing waiting (status --json). */
function archiveCaughtUp(dir) {
  for (let i = 0; i < 600; i++) {
    const s = JSON.parse(ebdb(dir, ["status", "--json"]).out);
    if ((s.backups.archive?.waiting ?? 0) === 0) return;
    sh("sleep", ["0.2"]);
  }
  throw new Error("archive did not catch up");
}

let handPort = 7400 + (process.pid % 400);
/** A server as by hand: initdb with its defaults (16 MB segments, no archive), pg_ctl start. */
function handServer() {
  const dir = join(scratch, `bench-hand-${process.pid}-${handPort}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  if (user.switchUser) chownSync(dir, user.uid, user.gid);
  const port = ++handPort;
  sh(join(bins.bindir, "initdb"), ["-D", dir, "-U", "postgres", "-A", "trust"], {
    ...asUser,
    env: pgEnv,
    cwd: "/",
  });
  sh(
    join(bins.bindir, "pg_ctl"),
    ["start", "-w", "-D", dir, "-l", join(dir, "log"), "-o", `-p ${port} -c listen_addresses= -k ${dir}`],
    { ...asUser, env: pgEnv, cwd: "/" },
  );
  return {
    dir,
    port,
    stop() {
      sh(join(bins.bindir, "pg_ctl"), ["stop", "-m", "immediate", "-D", dir], {
        ...asUser,
        env: pgEnv,
        cwd: "/",
        allowFail: true,
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A by-hand restore: the base copied, the WAL it needs already in pg_wal (from `archiveDir` from
 * `startWal` on; null: the base holds it), recovery to `time` (an ISO time), or to the end of the
 * backup (`time` null: recovery_target=immediate, as for a snapshot).
 */
function handPitr(snapData, archiveDir, startWal, time) {
  const dir = join(scratch, `bench-pitr-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  sh("cp", ["-a", snapData, dir]);
  for (const f of archiveDir ? readdirSync(archiveDir).sort() : []) {
    const seg = f.slice(0, 24);
    if (!/^[0-9A-F]{24}(\.zst|\.gz)?$/.test(f) || seg < startWal) continue;
    const out = join(dir, "pg_wal", seg);
    if (f.endsWith(".zst")) sh("zstd", ["-dqf", "-o", out, join(archiveDir, f)]);
    else if (f.endsWith(".gz")) sh("sh", ["-c", 'gzip -dc "$1" > "$2"', "sh", join(archiveDir, f), out]);
    else sh("cp", [join(archiveDir, f), out]);
  }
  writeFileSync(join(dir, "recovery.signal"), "");
  if (user.switchUser) sh("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
  const port = ++handPort;
  const args = [
    "-D",
    dir,
    "-p",
    String(port),
    "-c",
    "archive_mode=off",
    "-c",
    "restore_command=false",
    "-c",
    time === null
      ? "recovery_target=immediate"
      : `recovery_target_time=${time.replace("T", " ").replace("Z", "+00")}`,
    "-c",
    "recovery_target_action=promote",
    "-c",
    "unix_socket_directories=",
  ];
  const child = spawnSync(
    "sh",
    ["-c", `"$0" "$@" >"${dir}/log" 2>&1 & echo $!`, join(bins.bindir, "postgres"), ...args],
    {
      ...asUser,
      env: pgEnv,
      cwd: dir,
      encoding: "utf8",
    },
  );
  const pid = Number(child.stdout.trim());
  for (let i = 0; i < 120_000; i += 5) {
    const pidFile = join(dir, "postmaster.pid");
    const status = existsSync(pidFile) ? (readFileSync(pidFile, "utf8").split("\n")[7] ?? "").trim() : "";
    if (status === "ready") break;
    if (i > 0 && !existsSync(`/proc/${pid}`))
      throw new Error(`by-hand recovery failed: ${readFileSync(join(dir, "log"), "utf8").slice(-2000)}`);
    spawnSync("sleep", ["0.005"]);
  }
  const took = ms(t0);
  try {
    process.kill(pid, "SIGQUIT");
  } catch {}
  sh("sleep", ["0.3"]);
  rmSync(dir, { recursive: true, force: true });
  return took;
}

function pgbenchInit(env, scale) {
  return timed(pgbench, ["-i", "-q", "-s", String(scale)], { env: { ...process.env, ...env } }).ms;
}

const report = [];
const row = (label, value, base) => report.push(`  ${label.padEnd(58)} ${value}${base ? ` ${base}` : ""}`);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

console.log(
  `local target with data: PostgreSQL ${bins.version} (${bins.source}), ebdb from ${root}, ${runs} runs each`,
);
console.log(`  ${"node -e 0".padEnd(30)} ${timed(process.execPath, ["-e", "0"]).ms.toFixed(0)} ms (warm-up)`);
for (const gb of sizes) {
  const scale = Math.max(1, Math.round(gb * 67));
  report.push(`\n${gb} GB (pgbench scale ${scale}):`);
  const p = await newProject().init();
  try {
    const conn = JSON.parse(ebdb(p.dir, ["env", "--format", "json"]).out);
    const pgEnvOf = libpqEnv;
    // 1. Bulk load, against a default server by hand (16 MB segments, no archiving).
    const hand = handServer();
    const handLoad = pgbenchInit(
      { PGHOST: hand.dir, PGPORT: String(hand.port), PGUSER: "postgres", PGDATABASE: "postgres" },
      scale,
    );
    hand.stop();
    settle();
    const ebdbLoad = pgbenchInit(pgEnvOf(conn), scale);
    archiveCaughtUp(p.dir);
    row("bulk load (pgbench -i): by hand, default server", `${handLoad.toFixed(0)} ms`);
    row(
      "bulk load (pgbench -i): ebdb primary (archiving)",
      `${ebdbLoad.toFixed(0)} ms`,
      `ratio ${(ebdbLoad / handLoad).toFixed(2)}`,
    );
    const L = p.layout;
    const pgdata = join(L.nodesDir, p.identifier, "pgdata");
    const archiveBytes = duBlocks(L.archiveDir);
    const segs = readdirSync(L.archiveDir).filter((f) => /^[0-9A-F]{24}(\.zst|\.gz)?$/.test(f));
    const segFile = readdirSync(join(pgdata, "pg_wal")).find((f) => /^[0-9A-F]{24}$/.test(f));
    const walBytes = statSync(join(pgdata, "pg_wal", segFile)).size * segs.length;
    row(
      "WAL archive after the load",
      `${mib(archiveBytes)} on disk for ${mib(walBytes)} of WAL`,
      `(${(walBytes / archiveBytes).toFixed(2)}× smaller)`,
    );
    row("primary's data directory", mib(du(pgdata)));

    // 2. Snapshots: the first, then more of the unchanged database; against cp -a of the data directory.
    const copyTimes = [];
    const snapTimes = [];
    const added = [];
    const snaps = [];
    for (let i = 0; i < runs; i++) {
      settle();
      const dst = join(scratch, `bench-cp-${process.pid}`);
      rmSync(dst, { recursive: true, force: true });
      copyTimes.push(timed("cp", ["-a", pgdata, dst]).ms);
      rmSync(dst, { recursive: true, force: true });
      settle();
      const before = duBlocks(L.backupsDir);
      const id = `bench-${i}`;
      snapTimes.push(ebdb(p.dir, ["snapshot", "create", id]).ms);
      snaps.push(id);
      added.push(duBlocks(L.backupsDir) - before);
    }
    const cpMed = median(copyTimes);
    row("cp -a of the primary's data directory (baseline)", `${median(copyTimes).toFixed(0)} ms`);
    row(
      "snapshot create, the first",
      `${snapTimes[0].toFixed(0)} ms, ${mib(added[0])}`,
      `ratio ${(snapTimes[0] / cpMed).toFixed(2)}`,
    );
    if (runs > 1) {
      const later = median(snapTimes.slice(1));
      row(
        "snapshot create, again (unchanged database)",
        `${later.toFixed(0)} ms, ${mib(median(added.slice(1)))}`,
        `ratio ${(later / cpMed).toFixed(2)}; ${((100 * median(added.slice(1))) / added[0]).toFixed(1)}% of the first's space`,
      );
    }

    // 3. restore --from-snapshot against cp -a of the snapshot, and a by-hand restore of it (cp -a,
    // its WAL in pg_wal, started with recovery_target=immediate until it is promoted and ready).
    const snapData = join(L.backupsDir, snaps[0], "data");
    const rCopy = [];
    const rHand = [];
    const rSnap = [];
    for (let i = 0; i < runs; i++) {
      settle();
      const dst = join(scratch, `bench-cp-${process.pid}`);
      rmSync(dst, { recursive: true, force: true });
      rCopy.push(timed("cp", ["-a", snapData, dst]).ms);
      rmSync(dst, { recursive: true, force: true });
      settle();
      // A snapshot holds the WAL from its start to its end: no archive needed.
      rHand.push(handPitr(snapData, null, "", null));
      settle();
      const name = `${p.identifier}-rs${i}`;
      rSnap.push(ebdb(p.dir, ["restore", "--from-snapshot", snaps[0], "--name", name, "--yes"]).ms);
      ebdb(p.dir, ["destroy", "--instance", name, "--yes"]);
    }
    row("cp -a of the snapshot (baseline)", `${median(rCopy).toFixed(0)} ms`);
    row("restore of the snapshot by hand (cp -a, start, promoted)", `${median(rHand).toFixed(0)} ms`);
    row(
      "restore --from-snapshot",
      `${median(rSnap).toFixed(0)} ms`,
      `ratio ${(median(rSnap) / median(rCopy)).toFixed(2)} to cp -a, ${(median(rSnap) / median(rHand)).toFixed(2)} to by hand`,
    );

    // 4. restore --to-time with about half the data's size of WAL after the snapshot.
    const rows = Math.round((gb * 0.5 * 1024 ** 3) / 90);
    sh(
      join(pgbench, "..", "psql"),
      [
        "-X",
        "-q",
        "-c",
        `CREATE TABLE IF NOT EXISTS w AS SELECT g, md5(g::text) AS h FROM generate_series(1, ${rows}) g`,
      ],
      {
        env: { ...process.env, ...pgEnvOf(conn) },
      },
    );
    sh("sleep", ["1.2"]);
    const target = new Date().toISOString();
    sh("sleep", ["0.2"]);
    archiveCaughtUp(p.dir);
    const startWal = JSON.parse(
      readFileSync(join(L.backupsDir, snaps.at(-1), "backup.json"), "utf8"),
    ).startWal;
    const walAfter = readdirSync(L.archiveDir).filter(
      (f) => /^[0-9A-F]{24}(\.zst|\.gz)?$/.test(f) && f.slice(0, 24) >= startWal,
    ).length;
    const pHand = [];
    const pEbdb = [];
    for (let i = 0; i < runs; i++) {
      settle();
      pHand.push(handPitr(join(L.backupsDir, snaps.at(-1), "data"), L.archiveDir, startWal, target));
      settle();
      const name = `${p.identifier}-rt${i}`;
      pEbdb.push(ebdb(p.dir, ["restore", "--to-time", target, "--name", name, "--yes"]).ms);
      ebdb(p.dir, ["destroy", "--instance", name, "--yes"]);
    }
    row(
      `restore --to-time by hand (base copied, ${walAfter} segments in pg_wal)`,
      `${median(pHand).toFixed(0)} ms`,
    );
    row(
      "restore --to-time",
      `${median(pEbdb).toFixed(0)} ms`,
      `ratio ${(median(pEbdb) / median(pHand)).toFixed(2)}`,
    );
    row("WAL archive now", `${mib(duBlocks(L.archiveDir))}`);

    // 5. status against node -e 0.
    const st = [];
    const node0 = [];
    for (let i = 0; i < Math.max(5, runs); i++) {
      node0.push(timed(process.execPath, ["-e", "0"]).ms);
      st.push(ebdb(p.dir, ["status", "--json"]).ms);
    }
    row("node -e 0 (baseline)", `${median(node0).toFixed(0)} ms`);
    row("status --json", `${median(st).toFixed(0)} ms`, `ratio ${(median(st) / median(node0)).toFixed(2)}`);
    row("backups on disk (du, links once)", mib(duBlocks(L.backupsDir)));
  } finally {
    console.log(report.splice(0).join("\n"));
    ebdb(p.dir, ["destroy", "--yes"], { allowFail: true });
    rmSync(p.dir, { recursive: true, force: true });
  }
}
