// Retention on time (issue 13, item 5): the WAL archive and base backups while pgbench writes and no
// ebdb command runs, with the backup agent and without it (its wake beyond the run), in the same run.
// The agent's "day" is shortened (EBDB_BACKUP_DAY_SECONDS) so DB_BACKUP_RETENTION_DAYS=1 acts
// within the run: it takes a base backup each "day" and removes what is older than one.
//   npm run build && node bench/local-retention.mjs      BENCH_SECONDS=30 BENCH_DAY_SECONDS=8
// Needs pgbench (the system PostgreSQL's), and root or a user that can run the servers.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { libpqEnv } from "./lib.mjs";

const root = process.env.BENCH_EBDB ?? fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const day = Number(process.env.BENCH_DAY_SECONDS ?? 8);
const pgbench = process.env.BENCH_PGBENCH ?? "/usr/lib/postgresql/15/bin/pgbench";

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
const du = (p) => (existsSync(p) ? Number(sh("du", ["-s", "-B1", p]).split("\t")[0]) : 0);

/** Loads a small pgbench database, then runs pgbench for `seconds` with no ebdb command; sizes after. */
function run(agent) {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-retention-"));
  const app = `br${process.pid % 1000}${agent ? "a" : "n"}`;
  writeFileSync(
    join(dir, "config.env"),
    `APP_NAME="${app}"\nENV_NAME="dev"\nDB_ENGINE_VERSION="15.8"\nDB_BACKUP_RETENTION_DAYS="1"\n`,
  );
  const env = {
    ...process.env,
    EBDB_BACKUP_DAY_SECONDS: String(day),
    // Without: the agent's first wake comes after the run.
    EBDB_BACKUP_AGENT_INTERVAL: agent ? "1" : "100000",
  };
  const ebdb = (args) => sh(process.execPath, [bin, ...args], { cwd: dir, env });
  try {
    ebdb(["up", "--yes"]);
    const c = JSON.parse(ebdb(["env", "--format", "json"]));
    const pgEnv = { ...process.env, ...libpqEnv(c) };
    sh(pgbench, ["-i", "-q", "-s", "5"], { env: pgEnv });
    sh(pgbench, ["-n", "-T", String(seconds), "-c", "4"], { env: pgEnv });
    // Let the archiver and (with it) the agent catch up, as a quiet minute would.
    spawnSync("sleep", [String(Math.min(day, 10))]);
    const s = JSON.parse(ebdb(["status", "--json"]));
    const dataRoot = /\(under (.*)\)\.$/.exec(s.notes.find((n) => n.startsWith("Disk:")) ?? "")?.[1];
    return {
      archive: du(join(dataRoot, "archive")),
      backups: s.backups.list.length,
      backupBytes: s.backups.space?.backupsBytes ?? 0,
      window: [s.backups.earliestRestorableTime, s.backups.latestRestorableTime],
    };
  } finally {
    spawnSync(process.execPath, [bin, "destroy", "--yes"], { cwd: dir, env, stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `retention on time: pgbench -T ${seconds} -c 4 (scale 5), DB_BACKUP_RETENTION_DAYS=1 with a ${day} s day, no ebdb command meanwhile`,
);
const without = run(false);
const withAgent = run(true);
const span = (w) => (w[0] && w[1] ? `${((Date.parse(w[1]) - Date.parse(w[0])) / 1000).toFixed(0)} s` : "-");
console.log(
  `  ${"".padEnd(32)} ${"WAL archive".padStart(12)} ${"base backups".padStart(20)} ${"restorable window".padStart(18)}`,
);
for (const [label, r] of [
  ["without the agent (baseline)", without],
  ["with the backup agent", withAgent],
])
  console.log(
    `  ${label.padEnd(32)} ${mib(r.archive).padStart(12)} ${`${r.backups}, ${mib(r.backupBytes)}`.padStart(20)} ${span(r.window).padStart(18)}`,
  );
console.log(`  archive ratio with/without: ${(withAgent.archive / without.archive).toFixed(2)}`);
