import { addReplica } from "../../api/replica.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb replica add`. */
export async function run(cli: CliContext): Promise<number> {
  const node = await addReplica(cli.ctx);
  if (cli.flags.json) printJson(cli.output, node);
  else cli.output.out(`Added ${node.name} (${node.state}) on ${node.host}:${node.port}`);
  return 0;
}
