// Replica autoscaling: ebdb's policy against AWS-style target tracking (the baseline) and the user
// guide's step scaling, on each trace of bench/autoscale/traces, through the same API as
// `ebdb autoscale simulate`. Aim (issue 9): on every trace, at least 30% fewer saturated minutes than
// target tracking, with no more than 105% of its replica-hours. Run after `npm run build`;
// BENCH_PROVISION_MINUTES changes the provisioning delay (default 10).
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { median } from "./lib.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = process.env.BENCH_DIST ?? `${root}dist`;
const { simulateAutoscaling } = await import(`${dist}/api/autoscale-simulate.js`);
const { silentIo } = await import(`${dist}/io.js`);

const dir = `${root}bench/autoscale`;
const ctx = { cwd: dir, env: {}, io: silentIo };
const provisionMinutes = Number(process.env.BENCH_PROVISION_MINUTES ?? 10);
const policies = ["target-tracking", "ebdb", "step"];
const traces = readdirSync(`${dir}/traces`)
  .filter((f) => f.endsWith(".csv"))
  .sort();

const rows = [];
const timings = Object.fromEntries(policies.map((p) => [p, []]));
let allMet = true;
for (const file of traces) {
  const figures = {};
  for (const policy of policies) {
    const t0 = process.hrtime.bigint();
    const r = await simulateAutoscaling(ctx, { traceFile: `traces/${file}`, policy, provisionMinutes });
    timings[policy].push(Number(process.hrtime.bigint() - t0) / 1e6 / r.timeline.length);
    figures[policy] = r.summary;
  }
  const tt = figures["target-tracking"];
  const eb = figures.ebdb;
  const satRatio =
    tt.saturated_minutes === 0
      ? eb.saturated_minutes === 0
        ? 0
        : Infinity
      : eb.saturated_minutes / tt.saturated_minutes;
  const hoursRatio = eb.replica_hours / tt.replica_hours;
  const met = satRatio <= 0.7 && hoursRatio <= 1.05;
  allMet &&= met;
  rows.push({ trace: file.replace(/\.csv$/, ""), figures, satRatio, hoursRatio, met });
}

const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : "n/a");
const cell = (s) =>
  `${s.saturated_minutes} / ${s.over_target_minutes} / ${s.replica_hours.toFixed(1)} / ${s.scale_out_actions}+${s.scale_in_actions}`;
console.log(`replica autoscaling, ${provisionMinutes}-minute provisioning, config ${dir}/config.env`);
console.log("each policy: saturated min / over-target min / replica-hours / scale-outs+scale-ins\n");
console.log(
  `| trace | ${policies.join(" | ")} | ebdb saturated vs TT (aim <= 70%) | ebdb replica-hours vs TT (aim <= 105%) | aim |`,
);
console.log(`|---|${policies.map(() => "---").join("|")}|---:|---:|---|`);
for (const r of rows) {
  console.log(
    `| ${r.trace} | ${policies.map((p) => cell(r.figures[p])).join(" | ")} | ${pct(r.satRatio)} | ${pct(r.hoursRatio)} | ${r.met ? "met" : "**missed**"} |`,
  );
}
const us = (p) => median(timings[p]) * 1000;
console.log(
  `\nsimulation cost per minute (median over traces, incl. reading the trace): ebdb ${us("ebdb").toFixed(1)} µs, target-tracking ${us("target-tracking").toFixed(1)} µs (ratio ${(us("ebdb") / us("target-tracking")).toFixed(2)})`,
);
console.log(allMet ? "aim met on every trace" : "aim missed on some trace (see above)");
