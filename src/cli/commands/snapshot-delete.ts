import { deleteSnapshot } from "../../api/snapshot.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb snapshot delete <id> [--yes]`. */
export async function run(cli: CliContext, id: string): Promise<number> {
  const result = await deleteSnapshot(cli.ctx, { id });
  if (cli.flags.json) printJson(cli.output, result);
  else cli.output.err(`Deleted snapshot ${result.id}.`);
  return 0;
}
