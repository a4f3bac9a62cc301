import { runAutoscaler } from "../../api/autoscale-run.js";
import type { RunnerEvent } from "../../autoscale/runner-types.js";
import { userError } from "../../errors.js";
import type { CliContext, GlobalFlags } from "../output.js";

type RunFlags = GlobalFlags & { once?: boolean; interval?: string; maxLag?: string };

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n)) {
    throw userError(
      flag === "--interval" ? "BAD_INTERVAL" : "BAD_MAX_LAG",
      `${flag} ${value} is not a number of seconds.`,
      flag === "--interval"
        ? "For example --interval 60 (the default), or --interval 2 for a demonstration."
        : "For example --max-lag 10 (the default).",
    );
  }
  return n;
}

/** "12:03:07" of an ISO time, local time, for the runner's log lines. */
function clock(iso: string): string {
  return new Date(iso).toTimeString().slice(0, 8);
}

/**
 * `ebdb autoscale run [--once] [--interval S] [--max-lag S]`: the runner's log on stdout, a line per
 * event (`--json`: a JSON object per line). Ctrl-C (or SIGTERM) stops it cleanly after the action
 * under way; a second Ctrl-C quits at once (the next `ebdb up` finishes a replica left half-made).
 */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as RunFlags;
  const stop = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    cli.output.err("Stopping after the action under way (Ctrl-C again to quit at once)...");
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const print = (e: RunnerEvent) =>
    cli.output.out(flags.json ? JSON.stringify(e) : `${clock(e.at)}  ${e.message}`);
  try {
    await runAutoscaler(cli.ctx, {
      once: Boolean(flags.once),
      intervalSeconds: seconds("--interval", flags.interval),
      maxLagSeconds: seconds("--max-lag", flags.maxLag),
      signal: stop.signal,
      onEvent: print,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return 0;
}
