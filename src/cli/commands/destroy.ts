import { destroy } from "../../api/destroy.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

/** `ebdb destroy [--yes] [--skip-final-snapshot] [--instance name]` (--instance: one restored instance or replica). */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { skipFinalSnapshot?: boolean; instance?: string };
  const result = await destroy(cli.ctx, {
    skipFinalSnapshot: flags.skipFinalSnapshot,
    instance: flags.instance,
  });
  if (flags.json) printJson(cli.output, result);
  else cli.output.err(`${result.identifier} destroyed.`);
  return 0;
}
