import { userError } from "../errors.js";
import type { NodeStatus, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, openDay2 } from "./day2-common.js";

/** `ebdb replica add`: one more read replica (beyond DB_READ_REPLICA_COUNT until config.env says otherwise). */
export async function addReplica(ctx: CommandContext, opts: { target?: Target } = {}): Promise<NodeStatus> {
  const { desired, target } = await openDay2(ctx, opts.target);
  await announce(ctx, target, desired);
  return target.replicas.add(desired, ctx.io);
}

/** `ebdb replica remove [name]`: removes a read replica (the newest by default), after asking. */
export async function removeReplica(
  ctx: CommandContext,
  opts: { name?: string; target?: Target } = {},
): Promise<{ removed: string | null }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  await announce(ctx, target, desired);
  const what = opts.name ?? "the newest read replica";
  if (!(await ctx.io.confirm({ message: `Remove ${what}? Reads sent to it will fail.`, impact: "none" }))) {
    throw userError("ABORTED", "Nothing was removed.");
  }
  await target.replicas.remove(desired, opts.name, ctx.io);
  return { removed: opts.name ?? null };
}

/** `ebdb replica list`: the read replicas with their state and lag. */
export async function listReplicas(
  ctx: CommandContext,
  opts: { target?: Target } = {},
): Promise<NodeStatus[]> {
  const { desired, target } = await openDay2(ctx, opts.target);
  return target.replicas.list(desired);
}
