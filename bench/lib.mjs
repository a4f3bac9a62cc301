// Small helpers shared by the benchmarks: medians and timed child processes.
import { spawnSync } from "node:child_process";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command once and returns its wall time in ms (throws if it fails unexpectedly). */
export function timeRun(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: "pipe", ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (opts.expectStatus !== undefined && r.status !== opts.expectStatus) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return ms;
}

export function fmt(ms) {
  return `${ms.toFixed(1)} ms`;
}
