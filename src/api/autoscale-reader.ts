import type { CheckResult } from "../doctor/types.js";
import type { Desired } from "../model/desired-types.js";
import type { Target } from "../targets/target.js";
import { autoscalerOf } from "./autoscale-run.js";
import type { CommandContext } from "./context.js";
import { reachable } from "./exec.js";

/**
 * The reader variables for `env` and `exec`: DB_READER_HOST and DB_READER_PORT, an address that
 * connects now. Locally that is the reader endpoint (127.0.0.1 and a port chosen once per database,
 * a TCP balancer over the ready replicas) while `ebdb autoscale run` serves it; when it does not, a
 * caught-up replica directly (else the primary), and a one-line warning on the IoHost (stderr) says
 * so and how to start the runner. On AWS it will be the Route 53 name the AWS runner keeps. Empty
 * (no variables) when read replicas are off or the target has no reader endpoint.
 */
export async function readerVars(
  ctx: CommandContext,
  target: Target,
  desired: Desired,
): Promise<Record<string, string>> {
  const runner = await autoscalerOf(ctx, target, desired);
  const endpoint = await runner?.readerEndpoint();
  if (!endpoint) return {};
  if (endpoint.note) ctx.io.event({ type: "warning", message: endpoint.note });
  return { DB_READER_HOST: endpoint.host, DB_READER_PORT: String(endpoint.port) };
}

/**
 * Doctor's `reader-endpoint` check (local target; null elsewhere or with replicas off): red when the
 * address `env` hands out as DB_READER_HOST/PORT does not accept a TCP connection within 3 s; yellow
 * when it answers but is the primary although there are replicas (none is running and caught up, so
 * reads are not taken off the primary); else green, saying whether `ebdb autoscale run` serves the
 * endpoint or a node is named directly (which then does not follow replicas as they come and go).
 */
export async function readerCheck(
  ctx: CommandContext,
  target: Target,
  desired: Desired,
): Promise<CheckResult | null> {
  if (target.name !== "local") return null;
  const endpoint = await (await autoscalerOf(ctx, target, desired))?.readerEndpoint();
  if (!endpoint) return null;
  const address = `${endpoint.host}:${endpoint.port}`;
  const served = endpoint.served !== false;
  const observed = {
    host: endpoint.host,
    port: endpoint.port,
    served,
    toPrimary: Boolean(endpoint.toPrimary),
  };
  const id = "reader-endpoint";
  if (!(await reachable(endpoint.host, endpoint.port))) {
    return {
      id,
      status: "red",
      summary: `The reader address (DB_READER_HOST/PORT) ${address} does not accept connections.`,
      observed,
      fix: "Run `ebdb up` to start the servers, and `ebdb autoscale run` to serve the reader endpoint.",
    };
  }
  const how = served
    ? "the reader endpoint, served by `ebdb autoscale run`"
    : (endpoint.note ?? "a node named directly");
  if (endpoint.toPrimary) {
    return {
      id,
      status: "yellow",
      summary: `The reader address ${address} answers, but reads go to the primary: ${how}`,
      observed,
      fix: "See `ebdb status` for why no replica is ready (stopped, lagging); `ebdb up` starts them.",
    };
  }
  return {
    id,
    status: "green",
    summary: `The reader address ${address} answers: ${how}`,
    observed,
    fix: null,
  };
}
