import { requireConfig } from "../config/load.js";
import { userError } from "../errors.js";
import { deriveDesired } from "../model/desired.js";
import type { Desired } from "../model/desired-types.js";
import { openTarget } from "../targets/select.js";
import type { Target } from "../targets/target.js";
import { type CommandContext, targetOf } from "./context.js";

/** The configuration's topology and its target, for one day-2 command. */
export async function openDay2(
  ctx: CommandContext,
  target?: Target,
): Promise<{ desired: Desired; target: Target }> {
  // The target's code loads while config.env is read (a short command's time is mostly loading);
  // a bad config.env is still the error reported first.
  const opened = target ? Promise.resolve(target) : openTarget(ctx);
  opened.catch(() => {});
  const config = await requireConfig(ctx);
  const desired = deriveDesired(config, targetOf(ctx));
  return { desired, target: await opened };
}

/** A clear error for a day-2 operation the target does not offer. */
export function notOffered(target: Target, command: string, what: string): never {
  throw userError(
    "NOT_SUPPORTED",
    `${command} is not available on the ${target.name} target: ${what}.`,
    target.name === "local" ? "Run it with --target aws (or EBDB_TARGET=aws)." : undefined,
  );
}

/** Prints the account, region and identifier lines a mutating AWS command shows before it acts. */
export async function announce(ctx: CommandContext, target: Target, desired: Desired): Promise<void> {
  if (!target.preamble) return;
  for (const line of await target.preamble(desired)) ctx.io.event({ type: "info", message: line });
}
