import type { StatusReport, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";

/** `ebdb status`: each node's role, state, port, pid and lag; backups and the restorable window; storage. Reads only. */
export async function status(ctx: CommandContext, opts: { target?: Target } = {}): Promise<StatusReport> {
  const { desired, target } = await openDay2(ctx, opts.target);
  return target.status(desired);
}
