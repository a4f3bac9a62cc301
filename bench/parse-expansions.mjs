// What tracking `$NAME` expansions costs the config parser (issue 8, item 6: warn for a $NAME that no
// key above defines). Parses, in process with dist/config/parse.js, files of 10,000 lines where every
// value expands a variable (the worst case: each is tracked) against the same files with the
// expansion written out (nothing to track), interleaved so machine noise hits both; and the `ebdb
// init` template repeated 1,000 times (an ordinary file, ~100,000 lines). Run after `npm run build`:
//   node bench/parse-expansions.mjs                          (BENCH_RUNS=21)
//   EBDB_BENCH_OLD_DIST=/path/to/older/dist node bench/parse-expansions.mjs   # also times that build
import { fileURLToPath } from "node:url";
import { fmt, median } from "./lib.mjs";

const dist = fileURLToPath(new URL("../dist", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 21);
const builds = {
  now: dist,
  ...(process.env.EBDB_BENCH_OLD_DIST ? { old: process.env.EBDB_BENCH_OLD_DIST } : {}),
};
const parsers = {};
for (const [name, dir] of Object.entries(builds))
  parsers[name] = (await import(`${dir}/config/parse.js`)).parseEnv;
const { configTemplate } = await import(`${dist}/config/template.js`);

const lines = (f) => Array.from({ length: 10_000 }, (_, i) => f(i)).join("\n");
const files = {
  "10k lines, each ${KEY} of the line above": lines((i) => (i === 0 ? "K_0=a" : `K_${i}="x\${K_${i - 1}}"`)),
  "10k lines, the same values written out": lines((i) => (i === 0 ? "K_0=a" : `K_${i}="x${"a".repeat(8)}"`)),
  "10k lines, each $NAME from the environment": lines((i) => `K_${i}="x$UNSET_${i}"`),
  "init template x1000 (~100k lines, no $)": Array.from({ length: 1000 }, () =>
    configTemplate({ appName: "shop" }),
  ).join("\n"),
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const parse of Object.values(parsers)) for (const text of Object.values(files)) parse(text, {});
const times = Object.fromEntries(
  Object.keys(files).map((label) => [label, Object.fromEntries(Object.keys(parsers).map((b) => [b, []]))]),
);
for (let r = 0; r < runs; r++) {
  for (const [label, text] of Object.entries(files)) {
    for (const [build, parse] of Object.entries(parsers)) {
      const t0 = cpu();
      parse(text, {});
      times[label][build].push(cpu() - t0);
    }
  }
}
console.log(`parseEnv, CPU time, median of ${runs} interleaved runs`);
for (const [label, byBuild] of Object.entries(times)) {
  const now = median(byBuild.now);
  const old = byBuild.old ? median(byBuild.old) : undefined;
  console.log(
    `  ${label.padEnd(46)} ${fmt(now).padStart(9)}${old === undefined ? "" : `   old ${fmt(old).padStart(9)}  ratio ${(now / old).toFixed(2)}`}`,
  );
}
