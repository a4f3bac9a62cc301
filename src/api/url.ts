import { userError } from "../errors.js";
import type { ConnectionInfo, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";
import { connectionUrl } from "./env.js";

/** The node `--replica [name]` means: true is the first replica. A clear error when there is none. */
export function pickNode(
  c: ConnectionInfo,
  replica: string | boolean | undefined,
): { name: string | null; host: string; port: number } {
  if (replica === undefined || replica === false) return { name: null, host: c.host, port: c.port };
  if (c.readers.length === 0)
    throw userError("NO_REPLICAS", "There are no read replicas.", "Add one with `ebdb replica add`.");
  const r = replica === true ? c.readers[0] : c.readers.find((x) => x.name === replica);
  if (!r) {
    throw userError(
      "REPLICA_NOT_FOUND",
      `There is no replica ${replica}.`,
      `Replicas: ${c.readers.map((x) => x.name).join(", ")}.`,
    );
  }
  return r;
}

/** `ebdb url [--replica [name]]`: the connection URL, password included (for the user's own use). */
export async function url(
  ctx: CommandContext,
  opts: { replica?: string | boolean; target?: Target } = {},
): Promise<{ url: string; node: string | null }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  const c = await target.connection(desired);
  const node = pickNode(c, opts.replica);
  return { url: connectionUrl(c, node), node: node.name };
}
