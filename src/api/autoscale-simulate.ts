import { writeFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { DEFAULT_PROVISION_MINUTES, policyConfigFrom } from "../autoscale/config.js";
import { renderPlot } from "../autoscale/plot-svg.js";
import { POLICIES } from "../autoscale/policies.js";
import { type SimulationResult, simulate } from "../autoscale/simulate.js";
import { parseTrace } from "../autoscale/trace.js";
import type { PolicyConfig, PolicyName } from "../autoscale/types.js";
import { requireConfig } from "../config/load.js";
import { type RegularFileKind, readRegularFile } from "../config/read.js";
import { systemError, userError } from "../errors.js";
import type { CommandContext } from "./context.js";

/** A trace of a month at one row a minute is under 1 MiB; anything near this limit is not a trace. */
const MAX_TRACE_BYTES = 16 * 1024 * 1024;

const TRACE_FILE: RegularFileKind = {
  code: "TRACE_UNREADABLE",
  maxBytes: MAX_TRACE_BYTES,
  noun: "load trace",
  reads: "a load trace",
  hint: "Pass --trace FILE: a CSV with the header minute,demand_vcpu and one row per minute.",
  notFound: (path) =>
    userError(
      "TRACE_NOT_FOUND",
      `--trace ${path}: there is no file there.`,
      "Pass --trace FILE: a CSV with the header minute,demand_vcpu and one row per minute.",
    ),
};

export interface SimulateOptions {
  /** The trace (CSV `minute,demand_vcpu`), relative to ctx.cwd. */
  traceFile: string;
  policy?: PolicyName;
  /** Minutes from adding a replica to its being ready (default 10). */
  provisionMinutes?: number;
  /** Write an SVG plot of the run here, relative to ctx.cwd. */
  plotFile?: string;
}

export interface SimulateResult extends SimulationResult {
  policy: PolicyName;
  /** The trace as given, for messages. */
  trace: string;
  settings: PolicyConfig & { replicaClass: string; initialReplicas: number };
  /** Absolute path of the plot written, if any. */
  plotFile: string | null;
}

/**
 * `ebdb autoscale simulate`: runs a replica autoscaling policy over a load trace with config.env's
 * DB_READ_REPLICA_* settings and the fixed model of simulate.ts. Reads the trace, writes the plot.
 * Errors: CONFIG_INVALID, BAD_TRACE, TRACE_NOT_FOUND, TRACE_UNREADABLE, UNKNOWN_INSTANCE_CLASS (exit 2);
 * PLOT_UNWRITABLE (exit 1).
 */
export async function simulateAutoscaling(
  ctx: CommandContext,
  opts: SimulateOptions,
): Promise<SimulateResult> {
  const config = await requireConfig(ctx);
  const policy = opts.policy ?? "ebdb";
  const settings = policyConfigFrom(config.replicas, opts.provisionMinutes ?? DEFAULT_PROVISION_MINUTES);
  if (!config.replicas.enabled) {
    ctx.io.event({
      type: "warning",
      message:
        "DB_READ_REPLICA_ENABLED is false: simulating with the DB_READ_REPLICA_* settings as if it were true.",
    });
  }
  const path = resolve(ctx.cwd, opts.traceFile);
  const label = isAbsolute(opts.traceFile) ? opts.traceFile : relative(ctx.cwd, path) || opts.traceFile;
  const bytes = await readRegularFile(path, TRACE_FILE);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw userError("BAD_TRACE", `${label} is not UTF-8 text.`, TRACE_FILE.hint);
  }
  const trace = parseTrace(text, label);
  // Replicas `up` made: DB_READ_REPLICA_COUNT, within the bounds the autoscaler keeps.
  const initialReplicas = Math.min(
    settings.maxCapacity,
    Math.max(settings.minCapacity, config.replicas.count),
  );
  const result = simulate(trace, { policy: POLICIES[policy], config: settings, initialReplicas });
  let plotFile: string | null = null;
  if (opts.plotFile !== undefined) {
    plotFile = resolve(ctx.cwd, opts.plotFile);
    const svg = renderPlot(result, {
      title: `${label}: ${policy} policy`,
      replicaVcpus: settings.replicaVcpus,
      targetCpuPercent: settings.targetCpuPercent,
      maxCapacity: settings.maxCapacity,
    });
    try {
      await writeFile(plotFile, svg);
    } catch (e) {
      throw systemError(
        "PLOT_UNWRITABLE",
        `--plot ${opts.plotFile}: cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)}).`,
        "Check that its folder exists and is writable.",
        e,
      );
    }
  }
  return {
    ...result,
    policy,
    trace: label,
    settings: { ...settings, replicaClass: config.replicas.instanceClass, initialReplicas },
    plotFile,
  };
}
