import { createSnapshot } from "../../api/snapshot.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb snapshot create [id]`. */
export async function run(cli: CliContext, id?: string): Promise<number> {
  const snap = await createSnapshot(cli.ctx, { id });
  if (cli.flags.json) printJson(cli.output, snap);
  else cli.output.out(`${snap.id}  ${snap.status}  ${snap.createdAt}`);
  return 0;
}
