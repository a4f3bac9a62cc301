// `ebdb validate` cold start against `node -e 0`, interleaved in the same run so machine noise hits both.
// Aim (issue 2): median ratio <= 3. Run after `npm run build`.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, timeRun } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-"));
writeFileSync(
  join(dir, "config.env"),
  [
    'APP_NAME="my-app"',
    'ENV_NAME="prod"',
    'DB_ENGINE="postgres"',
    'DB_INSTANCE_CLASS="db.t3.small"',
    'DB_BACKUP_RETENTION_DAYS="7"         # 0-35 days (0 = disabled)',
    'DB_BACKUP_WINDOW="03:00-04:00"       # Daily backup window (UTC)',
    'DB_STORAGE_AUTOSCALING_ENABLED="true"',
    'DB_ALLOCATED_STORAGE="20"',
    'DB_MAX_ALLOCATED_STORAGE="100"',
    'DB_READ_REPLICA_ENABLED="true"',
    'DB_READ_REPLICA_COUNT="1"',
    'DB_READ_REPLICA_MIN_CAPACITY="1"',
    'DB_READ_REPLICA_MAX_CAPACITY="3"',
    "",
  ].join("\n"),
);

const runs = Number(process.env.BENCH_RUNS ?? 15);
const bin = join(root, "bin", "ebdb.js");
const base = [];
const ours = [];
// Warm the file cache once for both.
timeRun(process.execPath, ["-e", "0"]);
timeRun(process.execPath, [bin, "validate"], { cwd: dir, expectStatus: 0 });
for (let i = 0; i < runs; i++) {
  base.push(timeRun(process.execPath, ["-e", "0"]));
  ours.push(timeRun(process.execPath, [bin, "validate"], { cwd: dir, expectStatus: 0 }));
}
const b = median(base);
const o = median(ours);
const ratio = o / b;
console.log(`validate cold start (${runs} runs each, interleaved)`);
console.log(`  node -e 0        median ${fmt(b)}`);
console.log(`  ebdb validate    median ${fmt(o)}`);
console.log(`  ratio            ${ratio.toFixed(2)} (aim <= 3) ${ratio <= 3 ? "ok" : "OVER"}`);
