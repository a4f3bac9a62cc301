import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, notOffered, openDay2 } from "./day2-common.js";

/**
 * `ebdb destroy [--yes]`: removes the database and everything ebdb made for it, after asking. With
 * `instance`, only that instance (a restored one, or a replica).
 */
export async function destroy(
  ctx: CommandContext,
  opts: { skipFinalSnapshot?: boolean; instance?: string; target?: Target } = {},
): Promise<{ identifier: string; destroyed: boolean }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  await announce(ctx, target, desired);
  if (opts.instance !== undefined) {
    if (!target.destroyInstance)
      notOffered(target, "destroy --instance", "delete the instance with the AWS console or CLI");
    if (!(await ctx.io.confirm({ message: `Destroy ${opts.instance} and its data?`, impact: "data-loss" }))) {
      throw userError("ABORTED", "Nothing was destroyed.");
    }
    await target.destroyInstance(desired, opts.instance, ctx.io);
    return { identifier: opts.instance, destroyed: true };
  }
  const what =
    target.name === "local"
      ? `Destroy ${desired.identifier} on this machine: every node, its data, the base backups and the WAL archive?`
      : `Destroy ${desired.identifier} and everything ebdb made for it on AWS${opts.skipFinalSnapshot ? ", without a final snapshot" : ""}?`;
  if (!(await ctx.io.confirm({ message: what, impact: "data-loss" }))) {
    throw userError("ABORTED", "Nothing was destroyed.");
  }
  await target.destroy(desired, { skipFinalSnapshot: Boolean(opts.skipFinalSnapshot) }, ctx.io);
  return { identifier: desired.identifier, destroyed: true };
}
