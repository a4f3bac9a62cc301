import { removeReplica } from "../../api/replica.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb replica remove [name]` (the newest by default): says which replica it removed. */
export async function run(cli: CliContext, name?: string): Promise<number> {
  const result = await removeReplica(cli.ctx, { name });
  if (cli.flags.json) printJson(cli.output, result);
  else cli.output.out(`Removed ${result.removed}`);
  return 0;
}
