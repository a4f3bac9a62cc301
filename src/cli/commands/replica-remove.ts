import { removeReplica } from "../../api/replica.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb replica remove [name]` (the newest by default). */
export async function run(cli: CliContext, name?: string): Promise<number> {
  const result = await removeReplica(cli.ctx, { name });
  if (cli.flags.json) printJson(cli.output, result);
  else cli.output.err(`Removed ${result.removed ?? "the newest replica"}.`);
  return 0;
}
