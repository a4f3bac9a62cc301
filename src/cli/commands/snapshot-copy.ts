import { copySnapshot } from "../../api/snapshot-copy.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type CopyFlags = GlobalFlags & { toRegion?: string; kmsKey?: string; name?: string };

/** `ebdb snapshot copy <id> --to-region R [--kms-key K] [--name N]`. */
export async function run(cli: CliContext, id: string): Promise<number> {
  const flags = cli.flags as CopyFlags;
  const result = await copySnapshot(cli.ctx, {
    id,
    toRegion: flags.toRegion ?? "",
    kmsKeyId: flags.kmsKey,
    name: flags.name,
  });
  if (flags.json) printJson(cli.output, result);
  else
    cli.output.out(
      `${result.copy.id} in ${result.region} (${result.copy.status}), a copy of ${result.source}`,
    );
  return 0;
}
