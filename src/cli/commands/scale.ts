import { scaleDatabase } from "../../api/scale.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type ScaleFlags = GlobalFlags & { instanceClass?: string; storage?: string; applyImmediately?: boolean };

/** `ebdb scale --instance-class C | --storage GiB [--apply-immediately] [--yes] [--json]`. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as ScaleFlags;
  let storageGiB: number | undefined;
  if (flags.storage !== undefined) {
    storageGiB = Number(flags.storage);
    if (!/^\d+$/.test(flags.storage)) {
      throw userError(
        "BAD_STORAGE",
        `--storage ${flags.storage} is not a whole number of GiB.`,
        "For example: --storage 50",
      );
    }
    // Past 6 digits, beyond RDS's maximum anyway; said here so the message echoes what was typed.
    if (flags.storage.replace(/^0+/, "").length > 6) {
      throw userError(
        "BAD_STORAGE",
        `--storage ${flags.storage} is not a size RDS accepts.`,
        "Use a whole number of GiB up to 65536.",
      );
    }
  }
  const result = await scaleDatabase(cli.ctx, {
    instanceClass: flags.instanceClass,
    storageGiB,
    applyImmediately: Boolean(flags.applyImmediately),
  });
  if (flags.json) printJson(cli.output, result);
  else if (result.when === "cancelled") cli.output.err("Nothing changed.");
  else {
    const what = [
      result.instanceClass && `class ${result.instanceClass.from} → ${result.instanceClass.to}`,
      result.storageGiB && `storage ${result.storageGiB.from} → ${result.storageGiB.to} GiB`,
    ].filter(Boolean);
    cli.output.out(
      `${result.identifier}: ${what.join(", ")} ${result.when === "now" ? "done" : "in the next maintenance window"}`,
    );
  }
  return result.when === "cancelled" ? 1 : 0;
}
