import { userError } from "../errors.js";
import type { BackupInfo, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, notOffered, openDay2 } from "./day2-common.js";

export interface SnapshotCopyOptions {
  id: string;
  /** --to-region */
  toRegion: string;
  /** --kms-key: a key of the destination region (needed for encrypted snapshots). */
  kmsKeyId?: string;
  /** --name of the copy. */
  name?: string;
  target?: Target;
}

export interface SnapshotCopyResult {
  source: string;
  region: string;
  copy: BackupInfo;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** `ebdb snapshot copy <id> --to-region R [--kms-key K] [--name N]`: disaster recovery in another region. */
export async function copySnapshot(
  ctx: CommandContext,
  opts: SnapshotCopyOptions,
): Promise<SnapshotCopyResult> {
  if (!REGION.test(opts.toRegion)) {
    throw userError(
      "BAD_REGION",
      `--to-region ${opts.toRegion} is not an AWS region.`,
      "For example: --to-region us-west-2",
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.copySnapshot)
    notOffered(target, "snapshot copy", "snapshots are files on this machine; copy the .ebdb folder instead");
  await announce(ctx, target, desired);
  const copy = await target.copySnapshot(
    desired,
    { id: opts.id, toRegion: opts.toRegion, kmsKeyId: opts.kmsKeyId, name: opts.name },
    ctx.io,
  );
  return { source: opts.id, region: opts.toRegion, copy };
}
