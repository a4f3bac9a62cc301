import type { Change } from "../model/change.js";
import type { ReplicaConfig } from "../model/config.js";
import { autoscaleNames, LAMBDA_MEMORY_MB } from "../targets/aws/autoscale-names.js";
import type { DiffContext } from "./diff-context.js";

/** Read-replica autoscaling is on: replicas enabled and DB_READ_REPLICA_MIN_CAPACITY < _MAX_CAPACITY. */
export function autoscalingOn(c: ReplicaConfig): boolean {
  return c.enabled && c.min < c.max;
}

/** Runs a month (30 days, one a minute). */
const RUNS = 30 * 24 * 60;

/**
 * What the AWS runner costs a month in US dollars, by part, with `replicas` replicas (the most it
 * keeps), at us-east-1 list prices (aws.amazon.com/{lambda,cloudwatch,route53,eventbridge}/pricing):
 * Lambda $0.0000133334 a GB-second on arm64 (a run takes about a second) and $0.20 a million
 * requests; CloudWatch GetMetricData $0.01 per 1,000 metrics requested (3 a replica and 3 of its own
 * a run), PutMetricData $0.01 per 1,000 requests, a custom metric $0.30; a hosted zone $0.50 (DNS
 * queries $0.40 a million on top); Scheduler's first 14 million invocations are free; CloudWatch
 * Logs $0.50 a GB (about 1 KB a run). Pure.
 */
export function autoscalerMonthlyCost(replicas: number): { total: number; parts: Record<string, number> } {
  const parts = {
    "CloudWatch GetMetricData": (RUNS * (3 * replicas + 3) * 0.01) / 1000,
    "CloudWatch PutMetricData and the metric": (RUNS * 0.01) / 1000 + 0.3,
    Lambda: RUNS * (LAMBDA_MEMORY_MB / 1024) * 0.0000133334 + (RUNS * 0.2) / 1e6,
    "Route 53 hosted zone": 0.5,
    "CloudWatch Logs": ((RUNS * 1024) / 1024 ** 3) * 0.5,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { total, parts };
}

const dollars = (n: number) => `$${n.toFixed(2)}`;

/**
 * The AWS read-replica autoscaler (its Lambda function, schedule, roles, log group, and the private
 * hosted zone of the reader record): created when autoscaling is on, updated when the function runs
 * other code or settings than this ebdb deploys, deleted when autoscaling is off. Only on AWS
 * (observed.autoscaler set). Pure.
 */
export function diffAutoscaler(ctx: DiffContext): void {
  const have = ctx.observed.autoscaler;
  if (!have) return;
  const c = ctx.desired.config.replicas;
  const n = autoscaleNames(ctx.desired.identifier);
  const change = (resource: string, action: Change["action"], reason: string): Change => ({
    resource,
    kind: "autoscaler",
    action,
    impact: "none",
    reason,
  });
  if (!autoscalingOn(c)) {
    if (have.function || have.schedule || have.roles || have.logGroup)
      ctx.changes.push(
        change(
          n.functionName,
          "delete",
          `Deletes the read-replica autoscaler (Lambda function, schedule, roles, log group): autoscaling is off. The replicas it made stay until the plan's replica count removes them`,
        ),
      );
    if (have.zoneId)
      ctx.changes.push(
        change(
          n.zoneName,
          "delete",
          `Deletes the private hosted zone ${n.zoneName} and its reader record ${n.readerHost}`,
        ),
      );
    return;
  }
  const cost = autoscalerMonthlyCost(c.max);
  const costLine = `about ${dollars(cost.total)} a month at ${c.max} replicas (${Object.entries(cost.parts)
    .map(([k, v]) => `${k} ${dollars(v)}`)
    .join(", ")})`;
  if (!have.function || !have.schedule || !have.roles || !have.logGroup)
    ctx.changes.push(
      change(
        n.functionName,
        "create",
        `Creates the read-replica autoscaler: Lambda function ${n.functionName} (ebdb's own code, arm64, ${LAMBDA_MEMORY_MB} MB) run every minute by EventBridge Scheduler, keeping ${c.min}-${c.max} replicas at ${c.targetCpu}% CPU; its role may only read the database's instances and metrics, create, tag and delete ${ctx.desired.identifier}-replica-*, publish RDSReaderAverageCPUUtilization, change the reader record and write its log group; ${costLine}`,
      ),
    );
  else if (have.stale.length > 0)
    ctx.changes.push(
      change(
        n.functionName,
        "update",
        `Updates the read-replica autoscaler: ${have.stale.join(", ")} differ from this ebdb's (online; the next minute's run uses them)`,
      ),
    );
  if (!have.zoneId)
    ctx.changes.push(
      change(
        n.zoneName,
        "create",
        `Creates Route 53 private hosted zone ${n.zoneName} in the VPC, with the reader record ${n.readerHost} (DB_READER_HOST): the ready replicas, weighted CNAMEs with a 5 s TTL, the primary when none is ready`,
      ),
    );
}
