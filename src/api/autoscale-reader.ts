import type { Desired } from "../model/desired-types.js";
import type { Target } from "../targets/target.js";
import { autoscalerOf } from "./autoscale-run.js";
import type { CommandContext } from "./context.js";

/**
 * The reader endpoint's variables for `env` and `exec`: DB_READER_HOST and DB_READER_PORT, one
 * address that always leads to a ready read replica (running, caught up within the runner's lag
 * bound, warmed), whichever replicas there are. Locally it is 127.0.0.1 and a port chosen once per
 * database and served by `ebdb autoscale run` (a TCP balancer); on AWS it will be the Route 53 name
 * the AWS runner keeps. Empty (no variables) when read replicas are off or the target has no reader
 * endpoint yet (AWS until its runner lands).
 */
export async function readerVars(
  ctx: CommandContext,
  target: Target,
  desired: Desired,
): Promise<Record<string, string>> {
  const runner = await autoscalerOf(ctx, target, desired);
  const endpoint = await runner?.readerEndpoint();
  if (!endpoint) return {};
  return { DB_READER_HOST: endpoint.host, DB_READER_PORT: String(endpoint.port) };
}
