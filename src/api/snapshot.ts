import { userError } from "../errors.js";
import type { BackupInfo, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, openDay2 } from "./day2-common.js";

/** `ebdb snapshot create [id]`: a manual snapshot (locally, a base backup); the id defaults to <identifier>-<yyyymmddHHMMSS>. */
export async function createSnapshot(
  ctx: CommandContext,
  opts: { id?: string; target?: Target } = {},
): Promise<BackupInfo> {
  const { desired, target } = await openDay2(ctx, opts.target);
  await announce(ctx, target, desired);
  return target.snapshots.create(desired, opts.id, ctx.io);
}

/** `ebdb snapshot list`: snapshots and automated backups, oldest first. */
export async function listSnapshots(
  ctx: CommandContext,
  opts: { target?: Target } = {},
): Promise<BackupInfo[]> {
  const { desired, target } = await openDay2(ctx, opts.target);
  return target.snapshots.list(desired);
}

/** `ebdb snapshot delete <id> [--yes]`: deletes a snapshot after asking. */
export async function deleteSnapshot(
  ctx: CommandContext,
  opts: { id: string; target?: Target },
): Promise<{ id: string }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  // Before asking: a name that is not a snapshot is an error, not a question.
  const snapshots = await target.snapshots.list(desired);
  if (!snapshots.some((b) => b.id === opts.id)) {
    throw userError(
      "SNAPSHOT_NOT_FOUND",
      `There is no snapshot ${opts.id}.`,
      snapshots.length
        ? `Snapshots: ${snapshots.map((b) => b.id).join(", ")}.`
        : "There are no snapshots (ebdb snapshot create takes one).",
    );
  }
  await announce(ctx, target, desired);
  if (!(await ctx.io.confirm({ message: `Delete snapshot ${opts.id}?`, impact: "data-loss" }))) {
    throw userError("ABORTED", "Nothing was deleted.");
  }
  await target.snapshots.remove(desired, opts.id, ctx.io);
  return { id: opts.id };
}
