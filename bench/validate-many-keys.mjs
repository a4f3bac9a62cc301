// `ebdb validate` of a file with 100,000 unknown keys (issue 7, item 13: it took 14 s and printed
// 13.5 MB) against `ebdb validate` of an ordinary config.env, interleaved in the same run so machine
// noise hits both. Also the in-process "did you mean" for those keys against the plain edit distance
// (full table against every known key: the algorithm before the fix). Run after `npm run build`:
//   node bench/validate-many-keys.mjs                (BENCH_RUNS=7)
//   EBDB_BENCH_OLD_BIN=/path/to/old/bin/ebdb.js ...  also times another build the same way
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const old = process.env.EBDB_BENCH_OLD_BIN;
const runs = Number(process.env.BENCH_RUNS ?? 7);
const dir = mkdtempSync(join(tmpdir(), "ebdb-bench-keys-"));
const small = join(dir, "config.env");
const many = join(dir, "many.env");
writeFileSync(small, 'APP_NAME="my-app"\nENV_NAME="prod"\nDB_INSTANCE_CLASS="db.t3.small"\n');
// Short keys: 100,000 lines must fit in the 1 MiB a config file may have (790 KB here).
writeFileSync(many, Array.from({ length: 100_000 }, (_, i) => `K${i}=1`).join("\n"));
// In process, long keys: each is near enough in length to several known keys to be measured.
const keys = Array.from({ length: 20_000 }, (_, i) => `UNKNOWN_SETTING_${i}`);

function run(b, file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [b, "validate", "--config", file], {
    cwd: dir,
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, bytes: r.stdout.length + r.stderr.length, status: r.status };
}

const rows = { base: [], many: [], old: [] };
let bytes = 0;
let oldBytes = 0;
run(bin, small);
for (let i = 0; i < runs; i++) {
  rows.base.push(run(bin, small).ms);
  const m = run(bin, many);
  if (m.status !== 2) throw new Error(`validate of ${many} exited ${m.status}`);
  rows.many.push(m.ms);
  bytes = m.bytes;
  if (old && i < 3) {
    const o = run(old, many);
    rows.old.push(o.ms);
    oldBytes = o.bytes;
  }
}
const b = median(rows.base);
const m = median(rows.many);
console.log(`validate, 100,000 unknown keys (${runs} runs each, interleaved)`);
console.log(`  ordinary config.env     median ${fmt(b)}`);
console.log(`  100,000 unknown keys    median ${fmt(m)}  ratio ${(m / b).toFixed(2)}  output ${bytes} bytes`);
if (old) {
  const o = median(rows.old);
  console.log(`  the other build (${rows.old.length} runs)  median ${fmt(o)}  output ${oldBytes} bytes`);
}

// In process: "did you mean" for the same keys, bounded and banded, against the plain definition.
const { nearest, editDistance } = await import(join(root, "dist/config/rules-suggest.js"));
const { KEY_NAMES } = await import(join(root, "dist/config/schema.js"));
function plain(input) {
  let best;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of KEY_NAMES) {
    const d = editDistance(input, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.min(2, Math.max(1, Math.floor(input.length / 3))) ? best : undefined;
}
const sample = keys;
const t = { ours: [], plain: [] };
for (let i = 0; i < 5; i++) {
  let t0 = performance.now();
  for (const k of sample) nearest(k, KEY_NAMES);
  t.ours.push(performance.now() - t0);
  t0 = performance.now();
  for (const k of sample) plain(k);
  t.plain.push(performance.now() - t0);
}
const ours = median(t.ours);
const base = median(t.plain);
console.log(`did you mean, 20,000 unknown keys in process (5 runs each, interleaved)`);
console.log(`  plain edit distance     median ${fmt(base)}`);
console.log(`  bounded, same lengths   median ${fmt(ours)}  ratio ${(ours / base).toFixed(3)}`);
rmSync(dir, { recursive: true, force: true });
