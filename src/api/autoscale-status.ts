import type { AutoscaleStatus } from "../autoscale/runner-types.js";
import { instanceClassInfo } from "../config/catalog/instance-classes.js";
import type { Desired } from "../model/desired-types.js";
import type { Target } from "../targets/target.js";
import { autoscalerOf } from "./autoscale-run.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";

/**
 * `ebdb autoscale status`: the settings (min, max, target CPU, cooldowns, class), the runner, the
 * replicas now (current = ready + creating) and the count the last decision wanted, the reader
 * endpoint, the metric's recent points, recent decisions and scaling activities. The same shape on
 * both targets (runner-types.ts); on AWS the runner is the Lambda function `up` deploys.
 */
export async function autoscaleStatus(
  ctx: CommandContext,
  opts: { target?: Target } = {},
): Promise<AutoscaleStatus> {
  const { desired, target } = await openDay2(ctx, opts.target);
  const runner = await autoscalerOf(ctx, target, desired);
  if (runner) return runner.status();
  return notDeployedStatus(desired, target);
}

/** A target without a runner: the settings and its replicas as the target lists them, nothing scaled. */
async function notDeployedStatus(desired: Desired, target: Target): Promise<AutoscaleStatus> {
  const c = desired.config.replicas;
  const replicas = (await target.replicas.list(desired)).map((n) => ({
    name: n.name,
    state: "creating" as const,
    why: `${n.state}; no reader record: the autoscaling runner is not deployed`,
    createdByAutoscaler: false,
    connections: null,
    lagSeconds: n.lagSeconds,
  }));
  return {
    target: target.name,
    identifier: desired.identifier,
    enabled: c.enabled && c.min < c.max,
    policy: "ebdb",
    minCapacity: c.min,
    maxCapacity: c.max,
    targetCpuPercent: c.targetCpu,
    scaleInCooldownSeconds: c.scaleInCooldownSeconds,
    scaleOutCooldownSeconds: c.scaleOutCooldownSeconds,
    replicaClass: c.instanceClass,
    replicaVcpus: instanceClassInfo(c.instanceClass)?.vcpu ?? null,
    runner: {
      kind: target.name === "aws" ? "aws-lambda" : "local-process",
      state: "not-deployed",
      detail: "not deployed: ebdb's AWS runner (a Lambda function run each minute) is not built yet",
      pid: null,
      startedAt: null,
      intervalSeconds: null,
      maxLagSeconds: null,
      lastStepAt: null,
    },
    current: replicas.length,
    ready: 0,
    desired: replicas.length,
    replicas,
    reader: null,
    metric: { name: "RDSReaderAverageCPUUtilization", unit: "Percent", periodSeconds: null, points: [] },
    decisions: [],
    activities: [],
  };
}
