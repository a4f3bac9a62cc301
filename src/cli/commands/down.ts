import { down } from "../../api/down.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb down`: stop the local servers, keeping their data. */
export async function run(cli: CliContext): Promise<number> {
  const result = await down(cli.ctx);
  if (cli.flags.json) printJson(cli.output, result);
  else cli.output.err(`${result.identifier} stopped; its data is kept (ebdb up starts it again).`);
  return 0;
}
