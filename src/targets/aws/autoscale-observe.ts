import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { type FunctionConfiguration, GetFunctionCommand } from "@aws-sdk/client-lambda";
import { ListHostedZonesByNameCommand } from "@aws-sdk/client-route-53";
import { GetScheduleCommand, type GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { policyConfigFrom } from "../../autoscale/config.js";
import type { Desired } from "../../model/desired-types.js";
import type { ObservedAutoscaler } from "../../model/observed.js";
import { autoscalingOn } from "../../plan/diff-autoscaler.js";
import { isAwsCode } from "./aws-errors.js";
import { autoscalerZip, codeSha256 } from "./autoscale-bundle.js";
import type { ControllerConfig } from "./autoscale-controller.js";
import { dnsName } from "./autoscale-io.js";
import {
  autoscaleNames,
  LAMBDA_ARCHITECTURE,
  LAMBDA_MEMORY_MB,
  LAMBDA_RUNTIME,
  LAMBDA_TIMEOUT,
  SCHEDULE_EXPRESSION,
  SCHEDULE_INPUT,
} from "./autoscale-names.js";
import type { AwsClients } from "./clients.js";

/** The autoscaler's pieces as AWS has them (null: missing). */
export interface LiveAutoscaler {
  fn: FunctionConfiguration | null;
  schedule: GetScheduleCommandOutput | null;
  roles: boolean;
  logGroup: boolean;
  zoneId: string | null;
}

async function orNull<T>(p: Promise<T>, ...missing: string[]): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isAwsCode(e, ...missing)) return null;
    throw e;
  }
}

/** The private hosted zone named `<identifier>.ebdb.internal`, by ListHostedZonesByName. */
export async function findZone(aws: AwsClients, zoneName: string): Promise<string | null> {
  const r = await aws.route53(new ListHostedZonesByNameCommand({ DNSName: zoneName, MaxItems: 1 }));
  const z = (r.HostedZones ?? []).find(
    (h) => dnsName(h.Name ?? "") === dnsName(zoneName) && h.Config?.PrivateZone,
  );
  return z?.Id ? z.Id.replace(/^\/hostedzone\//, "") : null;
}

/**
 * Reads the autoscaler. With autoscaling off only the zone is looked for, then the function (what a
 * plan would delete); `destroy` removes every piece whatever this finds.
 */
export async function readAutoscaler(aws: AwsClients, desired: Desired): Promise<LiveAutoscaler> {
  const n = autoscaleNames(desired.identifier);
  const on = autoscalingOn(desired.config.replicas);
  // `up` makes the zone first: with autoscaling off and no zone, there is nothing else to look for.
  const zone = await findZone(aws, n.zoneName);
  if (!on && !zone) return { fn: null, schedule: null, roles: false, logGroup: false, zoneId: null };
  const [fn, zoneId, schedule, roles, logGroup] = await Promise.all([
    orNull(aws.lambda(new GetFunctionCommand({ FunctionName: n.functionName })), "ResourceNotFoundException"),
    zone,
    on
      ? orNull(aws.scheduler(new GetScheduleCommand({ Name: n.scheduleName })), "ResourceNotFoundException")
      : null,
    on
      ? Promise.all(
          [n.roleName, n.schedulerRoleName].map((RoleName) =>
            orNull(aws.iam(new GetRoleCommand({ RoleName })), "NoSuchEntity", "NoSuchEntityException"),
          ),
        ).then((rs) => rs.every((r) => r !== null))
      : false,
    on
      ? aws
          .logs(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.logGroup }))
          .then((r) => (r.logGroups ?? []).some((g) => g.logGroupName === n.logGroup))
      : false,
  ]);
  return { fn: fn?.Configuration ?? null, schedule, roles, logGroup, zoneId };
}

/** What the controller's configuration holds that config.env decides (the rest is found at deploy). */
export function settingsOf(
  cfg: Pick<ControllerConfig, "policy" | "maxLagSeconds" | "readerHost" | "identifier">,
) {
  return JSON.stringify({ p: cfg.policy, l: cfg.maxLagSeconds, h: cfg.readerHost, i: cfg.identifier });
}

/** The settings this ebdb would deploy (policy from config.env; provisioning guess RDS's 10 minutes). */
export function wantedSettings(desired: Desired): string {
  return settingsOf({
    policy: policyConfigFrom(desired.config.replicas),
    maxLagSeconds: desired.config.replicas.maxLagSeconds,
    readerHost: autoscaleNames(desired.identifier).readerHost,
    identifier: desired.identifier,
  });
}

/** The planner's view: which pieces exist and what differs from what this ebdb deploys. */
export async function observedAutoscaler(
  live: LiveAutoscaler,
  desired: Desired,
): Promise<ObservedAutoscaler> {
  const stale: string[] = [];
  const fn = live.fn;
  if (fn && autoscalingOn(desired.config.replicas)) {
    if (fn.CodeSha256 !== codeSha256(await autoscalerZip())) stale.push("its code");
    let cfg: ControllerConfig | null = null;
    try {
      cfg = JSON.parse(fn.Environment?.Variables?.EBDB_AUTOSCALE ?? "null");
    } catch {
      cfg = null;
    }
    const runtime =
      fn.Runtime === LAMBDA_RUNTIME &&
      fn.MemorySize === LAMBDA_MEMORY_MB &&
      fn.Timeout === LAMBDA_TIMEOUT &&
      (fn.Architectures ?? []).join() === LAMBDA_ARCHITECTURE;
    if (!cfg || settingsOf(cfg) !== wantedSettings(desired) || !runtime) stale.push("its settings");
    const s = live.schedule;
    if (
      s &&
      (s.ScheduleExpression !== SCHEDULE_EXPRESSION ||
        s.State !== "ENABLED" ||
        s.Target?.Input !== SCHEDULE_INPUT)
    )
      stale.push("the schedule");
  }
  return {
    function: fn !== null,
    schedule: live.schedule !== null,
    roles: live.roles,
    logGroup: live.logGroup,
    zoneId: live.zoneId,
    stale,
  };
}
