import { autoscaleStatus } from "../../api/autoscale-status.js";
import { type CliContext, printJson } from "../output.js";
import { autoscaleStatusLines } from "../render/autoscale-status.js";

/** `ebdb autoscale status [--json]`: settings, runner, capacity, reader endpoint, metric, decisions. */
export async function run(cli: CliContext): Promise<number> {
  const status = await autoscaleStatus(cli.ctx);
  if (cli.flags.json) printJson(cli.output, status);
  else cli.output.out(autoscaleStatusLines(status).join("\n"));
  return 0;
}
