import { simulateAutoscaling } from "../../api/autoscale-simulate.js";
import type { PolicyName } from "../../autoscale/types.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";
import { simulationLines } from "../render/autoscale-simulate.js";

type SimulateFlags = GlobalFlags & {
  trace: string;
  policy?: PolicyName;
  provisionMinutes?: string;
  plot?: string;
};

/**
 * `ebdb autoscale simulate --trace FILE [--policy ebdb|target-tracking|step] [--provision-minutes N]
 * [--json] [--plot FILE.svg]`. With --json, exactly `{"summary": {...}, "timeline": [...]}`.
 */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as SimulateFlags;
  let provisionMinutes: number | undefined;
  if (flags.provisionMinutes !== undefined) {
    provisionMinutes = Number(flags.provisionMinutes);
    if (!/^\d+$/.test(flags.provisionMinutes) || provisionMinutes > 1440) {
      throw userError(
        "BAD_PROVISION_MINUTES",
        `--provision-minutes ${flags.provisionMinutes} is not a whole number of minutes from 0 to 1440.`,
        "For example: --provision-minutes 15 (RDS creates a read replica in about 10-15 minutes).",
      );
    }
  }
  const result = await simulateAutoscaling(cli.ctx, {
    traceFile: flags.trace,
    policy: flags.policy,
    provisionMinutes,
    plotFile: flags.plot,
  });
  if (flags.json) printJson(cli.output, { summary: result.summary, timeline: result.timeline });
  else cli.output.out(simulationLines(result, cli.ctx.cwd).join("\n"));
  return 0;
}
