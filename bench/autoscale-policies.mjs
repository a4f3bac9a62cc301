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
const { simulate } = await import(`${dist}/autoscale/simulate.js`);
const { POLICIES } = await import(`${dist}/autoscale/policies.js`);
const { policyConfigFrom } = await import(`${dist}/autoscale/config.js`);
const { requireConfig } = await import(`${dist}/config/load.js`);

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

// Flapping: days of steady load with noise, at levels across the replica counts (some right at a
// boundary). A reversal is an action undone within the hour (out then in, or in then out).
function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
const config = policyConfigFrom((await requireConfig(ctx)).replicas, provisionMinutes);
const churn = Object.fromEntries(
  ["target-tracking", "ebdb"].map((p) => [p, { actions: 0, reversals: 0, hours: 0 }]),
);
let days = 0;
for (const noise of [0.05, 0.15]) {
  for (const level of [1.3, 2.7, 4.1, 5.3, 6.8, 8.3, 9.6, 11]) {
    days += 1;
    const g = gaussian(days);
    const trace = Array.from({ length: 1440 }, (_, minute) => ({
      minute,
      demandVcpu: Math.max(0, level * (1 + noise * g())),
    }));
    for (const p of Object.keys(churn)) {
      const r = simulate(trace, { policy: POLICIES[p], config, initialReplicas: 1 });
      const acts = r.timeline.filter((t) => t.action && t.minute >= 60);
      churn[p].actions += acts.length;
      churn[p].hours += r.summary.replica_hours;
      for (let i = 1; i < acts.length; i++) {
        if (acts[i].action.kind !== acts[i - 1].action.kind && acts[i].minute - acts[i - 1].minute < 60)
          churn[p].reversals++;
      }
    }
  }
}
console.log(
  `\nsteady noisy load, ${days} days (levels 1.3-11 vCPU, noise 5% and 15%), after each day's first hour:`,
);
for (const [p, c] of Object.entries(churn)) {
  console.log(
    `  ${p.padEnd(16)} ${c.actions} actions, ${c.reversals} reversals within the hour, ${c.hours.toFixed(0)} replica-hours`,
  );
}
