import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { notOffered, openDay2 } from "./day2-common.js";

/** `ebdb down`: stops every local server, keeping all data (`ebdb up` starts them again). */
export async function down(
  ctx: CommandContext,
  opts: { target?: Target } = {},
): Promise<{ identifier: string }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.down)
    notOffered(
      target,
      "down",
      "RDS instances are stopped with the AWS console or CLI, and restart by themselves after 7 days",
    );
  await target.down(desired, ctx.io);
  return { identifier: desired.identifier };
}
