import { planOffline, planOnline } from "../../api/plan.js";
import { explainPlan, summaryLine } from "../../plan/explain.js";
import { topologyLines } from "../../plan/topology.js";
import { poolingLines } from "../render/plan-pooling.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type PlanFlags = GlobalFlags & { offline?: boolean };

/**
 * `ebdb plan [--offline] [--json]`: offline, the topology from config.env alone; otherwise what `up`
 * would change on the target. JSON: `{ target, identifier, plan, topology? }`.
 */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as PlanFlags;
  if (flags.offline) {
    const result = await planOffline(cli.ctx);
    if (flags.json) printJson(cli.output, result);
    else {
      const lines = topologyLines(result.topology);
      lines.push(
        "",
        `From nothing, up would make: ${summaryLine(result.plan)}.`,
        ...poolingLines(result.pooling),
      );
      cli.output.out(lines.join("\n"));
    }
    return 0;
  }
  const result = await planOnline(cli.ctx);
  if (flags.json) printJson(cli.output, result);
  else
    cli.output.out(
      [...explainPlan(result.plan, { identifier: result.identifier }), ...poolingLines(result.pooling)].join(
        "\n",
      ),
    );
  return 0;
}
