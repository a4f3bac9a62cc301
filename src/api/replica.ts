import { userError } from "../errors.js";
import { replicaIndex } from "../model/desired.js";
import { checkReplicaCapacity } from "../model/replica-capacity.js";
import type { NodeStatus, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, openDay2 } from "./day2-common.js";

/**
 * `ebdb replica add`: one more read replica. Refused (REPLICA_MAX_CAPACITY, a user error) when the
 * replicas the target lists already reach DB_READ_REPLICA_MAX_CAPACITY: the next `ebdb up` would
 * remove one beyond it, as RDS's autoscaling would never go past its maximum. With
 * DB_READ_REPLICA_ENABLED=false it is made, with a warning that the next `up` removes it.
 */
export async function addReplica(ctx: CommandContext, opts: { target?: Target } = {}): Promise<NodeStatus> {
  const { desired, target } = await openDay2(ctx, opts.target);
  const { enabled } = desired.config.replicas;
  // A target with a lock checks under it (a count read before the lock may be stale: a removal
  // under way); one without, here, before asking anything.
  if (!target.lock)
    checkReplicaCapacity(
      desired,
      (await target.replicas.list(desired)).map((n) => n.name),
    );
  await announce(ctx, target, desired);
  if (!enabled) {
    ctx.io.event({
      type: "warning",
      message: "DB_READ_REPLICA_ENABLED is false, so the next `ebdb up` removes this replica (after asking).",
      hint: 'To keep it, set DB_READ_REPLICA_ENABLED="true" in config.env.',
    });
  }
  return target.replicas.add(desired, ctx.io);
}

/**
 * `ebdb replica remove [name]`: removes a read replica, after asking. Without a name, the newest: the
 * highest `<identifier>-replica-<n>` (the last listed when none is numbered). Returns the replica
 * removed, which the question already named. NO_REPLICA (a user error) when there is none.
 */
export async function removeReplica(
  ctx: CommandContext,
  opts: { name?: string; target?: Target } = {},
): Promise<{ removed: string }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  const replicas = await target.replicas.list(desired);
  const name = opts.name ?? newestReplica(desired.identifier, replicas);
  // Before asking: a name that is not a replica is an error, not a question.
  if (!replicas.some((r) => r.name === name)) {
    throw userError(
      "REPLICA_NOT_FOUND",
      `There is no replica ${name}.`,
      replicas.length ? `Replicas: ${replicas.map((r) => r.name).join(", ")}.` : "There are no replicas.",
    );
  }
  await announce(ctx, target, desired);
  if (!(await ctx.io.confirm({ message: `Remove ${name}? Reads sent to it will fail.`, impact: "none" }))) {
    throw userError("ABORTED", "Nothing was removed.");
  }
  await target.replicas.remove(desired, name, ctx.io);
  return { removed: name };
}

function newestReplica(identifier: string, replicas: NodeStatus[]): string {
  if (replicas.length === 0)
    throw userError("NO_REPLICA", `${identifier} has no read replica.`, "Add one with `ebdb replica add`.");
  const index = (n: NodeStatus) => replicaIndex(identifier, n.name) ?? 0;
  return replicas.reduce((a, b) => (index(b) >= index(a) ? b : a)).name;
}

/** `ebdb replica list`: the read replicas with their state and lag. */
export async function listReplicas(
  ctx: CommandContext,
  opts: { target?: Target } = {},
): Promise<NodeStatus[]> {
  const { desired, target } = await openDay2(ctx, opts.target);
  return target.replicas.list(desired);
}
