import { listSnapshots } from "../../api/snapshot.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb snapshot list`. */
export async function run(cli: CliContext): Promise<number> {
  const list = await listSnapshots(cli.ctx);
  if (cli.flags.json) printJson(cli.output, list);
  else if (list.length === 0) cli.output.err("No snapshots.");
  else cli.output.out(list.map((s) => `${s.id}  ${s.kind}  ${s.status}  ${s.createdAt}`).join("\n"));
  return 0;
}
