import { type RestoreOptions, restore } from "../../api/restore.js";
import { targetOf } from "../../api/context.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

/** `ebdb restore --to-time T | --latest | --from-snapshot S [--name N]`: into a new instance. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & Omit<RestoreOptions, "target">;
  const result = await restore(cli.ctx, {
    toTime: flags.toTime,
    latest: flags.latest,
    fromSnapshot: flags.fromSnapshot,
    name: flags.name,
    switch: flags.switch,
  });
  if (flags.json) printJson(cli.output, result);
  else
    cli.output.out(
      `Restored ${result.name} on ${result.host}:${result.port}${result.restoredTo ? ` (as of ${result.restoredTo})` : ""}. The original is untouched; \`ebdb status\` lists it${targetOf(cli.ctx) === "aws" ? "" : `, \`ebdb destroy --instance ${result.name}\` removes it alone`}.`,
    );
  return 0;
}
