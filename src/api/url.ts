import { userError } from "../errors.js";
import type { ConnectionInfo, Target } from "../targets/target.js";
import { connectionUrl } from "../targets/connection-vars.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";

/** One instance of the database, as the connection commands choose it. */
export interface PickedNode {
  /** Its name; null for the primary when the target does not name it. */
  name: string | null;
  role: "primary" | "replica" | "restored";
  host: string;
  port: number;
}

/** Every instance one may name, the primary first (from `instances`, or the primary and readers). */
function instancesOf(c: ConnectionInfo): PickedNode[] {
  if (c.instances) return c.instances.map((i) => ({ ...i }));
  return [
    { name: null, role: "primary", host: c.host, port: c.port },
    ...c.readers.map((r) => ({ ...r, role: "replica" as const })),
  ];
}

/**
 * The instance `--replica [name]` or `--instance NAME` means (default the primary): `--replica`
 * alone is the first replica. Clear errors (exit 2) for both flags at once, no replicas, and a name
 * that is none of the instances, listing them with their roles.
 */
export function pickNode(
  c: ConnectionInfo,
  replica: string | boolean | undefined,
  instance?: string,
): PickedNode {
  const all = instancesOf(c);
  const primary = all.find((n) => n.role === "primary") ?? {
    name: null,
    role: "primary",
    host: c.host,
    port: c.port,
  };
  const hasReplica = replica !== undefined && replica !== false;
  if (hasReplica && instance !== undefined) {
    throw userError(
      "CONFLICTING_FLAGS",
      "--replica and --instance both choose the instance.",
      "Give one: --instance NAME names any instance (a replica or a restored one).",
    );
  }
  if (instance !== undefined) {
    const found = all.find((n) => n.name === instance);
    if (found) return found;
    const list = all.map((n) => `${n.name ?? "(the primary)"} (${n.role})`).join(", ");
    throw userError("INSTANCE_NOT_FOUND", `There is no instance ${instance}.`, `Instances: ${list}.`);
  }
  if (!hasReplica) return primary;
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
  return { ...r, role: "replica" };
}

/**
 * `ebdb url [--replica [name] | --instance NAME]`: the connection URL (password included, for the
 * user's own use), verify-full with the CA file (see connectionUrl).
 */
export async function url(
  ctx: CommandContext,
  opts: { replica?: string | boolean; instance?: string; target?: Target } = {},
): Promise<{ url: string; node: string | null }> {
  const { desired, target } = await openDay2(ctx, opts.target);
  const c = await target.connection(desired);
  const node = pickNode(c, opts.replica, opts.instance);
  return { url: connectionUrl(c, node), node: node.role === "primary" && !opts.instance ? null : node.name };
}
