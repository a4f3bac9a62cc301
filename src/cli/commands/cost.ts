import { costEstimate } from "../../api/cost.js";
import { type CliContext, printJson } from "../output.js";
import { costLines } from "../render/cost.js";

/** `ebdb cost [--json]`. */
export async function run(cli: CliContext): Promise<number> {
  const result = await costEstimate(cli.ctx);
  if (cli.flags.json) printJson(cli.output, result);
  else
    cli.output.out(
      costLines(result, `Monthly estimate for ${result.identifier} (${result.engine}) on RDS`).join("\n"),
    );
  return 0;
}
