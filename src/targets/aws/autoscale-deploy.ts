import { CreateLogGroupCommand, PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  type Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { CreateHostedZoneCommand, type VPCRegion } from "@aws-sdk/client-route-53";
import { CreateScheduleCommand, UpdateScheduleCommand } from "@aws-sdk/client-scheduler";
import { policyConfigFrom } from "../../autoscale/config.js";
import { systemError } from "../../errors.js";
import { desiredReplica } from "../../model/desired.js";
import { isAwsCode } from "./aws-errors.js";
import { autoscalerZip, codeSha256 } from "./autoscale-bundle.js";
import type { ControllerConfig } from "./autoscale-controller.js";
import { type AutoscalerScope, functionPolicy, schedulerPolicy, trustPolicy } from "./autoscale-iam.js";
import {
  autoscaleNames,
  LAMBDA_ARCHITECTURE,
  LAMBDA_CONCURRENCY,
  LAMBDA_HANDLER,
  LAMBDA_MEMORY_MB,
  LAMBDA_RUNTIME,
  LAMBDA_TIMEOUT,
  LOG_RETENTION_DAYS,
  METRIC,
  READER_TTL,
  SCHEDULE_EXPRESSION,
  SCHEDULE_INPUT,
} from "./autoscale-names.js";
import { findZone, type LiveAutoscaler, settingsOf } from "./autoscale-observe.js";
import { type AwsCtx, tagList } from "./context.js";
import { replicaRequest } from "./instances.js";
import type { Account } from "./observe.js";

/** Where the runner's replicas go and what they use: found by `up`'s network step. */
export interface AutoscalerPlace {
  account: Account;
  vpcId: string;
  /** The subnet group's zones. */
  zones: string[];
  /** The database security group a replica gets. */
  dbSecurityGroupId: string;
}

/** The controller's configuration (the function's EBDB_AUTOSCALE): from config.env and the place. */
export function controllerConfig(ctx: AwsCtx, place: AutoscalerPlace, zoneId: string): ControllerConfig {
  const d = ctx.desired;
  const n = autoscaleNames(d.identifier);
  const want = d.replicas[0] ?? desiredReplica(d.config, d.target, 1);
  const request = JSON.parse(JSON.stringify(replicaRequest(want, place.dbSecurityGroupId)));
  return {
    identifier: d.identifier,
    policy: policyConfigFrom(d.config.replicas),
    maxLagSeconds: d.config.replicas.maxLagSeconds,
    metric: { ...METRIC },
    zoneId,
    readerHost: n.readerHost,
    ttl: READER_TTL,
    replica: { request, zones: place.zones, tags: tagList(d, { "ebdb:role": "replica" }) },
  };
}

async function ignore(p: Promise<unknown>, ...codes: string[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isAwsCode(e, ...codes)) throw e;
  }
}

/** Waits (bounded) until the function is Active and not updating: Lambda refuses changes meanwhile. */
async function settled(ctx: AwsCtx, name: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const c = (await ctx.aws.lambda(new GetFunctionCommand({ FunctionName: name }))).Configuration;
    if (c?.State === "Active" && c.LastUpdateStatus !== "InProgress") return;
    if (c?.State === "Failed" || c?.LastUpdateStatus === "Failed")
      throw systemError(
        "AUTOSCALER_FAILED",
        `Lambda function ${name} is ${c.State}: ${c.StateReason ?? c.LastUpdateStatusReason}`,
      );
    await ctx.clock.sleep(2000);
  }
  throw systemError(
    "AUTOSCALER_TIMEOUT",
    `Lambda function ${name} did not become Active within 2 minutes.`,
    "Run `ebdb up` again.",
  );
}

/**
 * Deploys the read-replica autoscaler, reading before writing so a second run changes nothing: the
 * private hosted zone (its record is the controller's), the log group with its retention, the two
 * roles and their inline policies, the function (created, or its code and settings updated), one
 * run at a time, the every-minute schedule; then runs it once, so the reader record exists when
 * `up` ends. Returns the zone's id.
 */
export async function deployAutoscaler(
  ctx: AwsCtx,
  live: LiveAutoscaler,
  place: AutoscalerPlace,
): Promise<string> {
  const d = ctx.desired;
  const n = autoscaleNames(d.identifier);
  const region = ctx.aws.settings.region;
  let zoneId = live.zoneId;
  if (!zoneId) {
    try {
      const r = await ctx.aws.route53(
        new CreateHostedZoneCommand({
          Name: n.zoneName,
          CallerReference: `ebdb-${d.identifier}-${place.vpcId}`,
          VPC: { VPCRegion: region as VPCRegion, VPCId: place.vpcId },
          HostedZoneConfig: { PrivateZone: true, Comment: `ebdb reader endpoint of ${d.identifier}` },
        }),
      );
      zoneId = r.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
    } catch (e) {
      // Made by an earlier run that stopped before seeing it.
      if (!isAwsCode(e, "HostedZoneAlreadyExists")) throw e;
      zoneId = await findZone(ctx.aws, n.zoneName);
      if (!zoneId) throw e;
    }
  }
  if (!live.logGroup) {
    await ignore(
      ctx.aws.logs(new CreateLogGroupCommand({ logGroupName: n.logGroup })),
      "ResourceAlreadyExistsException",
    );
    await ctx.aws.logs(
      new PutRetentionPolicyCommand({ logGroupName: n.logGroup, retentionInDays: LOG_RETENTION_DAYS }),
    );
  }
  const scope: AutoscalerScope = {
    partition: place.account.partition,
    region,
    accountId: place.account.id,
    identifier: d.identifier,
    zoneId,
    names: n,
    parameterGroup: d.parameterGroup.name,
    subnetGroup: d.network.subnetGroup,
  };
  const roleArn = (name: string) => `arn:${scope.partition}:iam::${scope.accountId}:role/${name}`;
  for (const [name, service, policy, doc] of [
    [n.roleName, "lambda.amazonaws.com", n.rolePolicy, functionPolicy(scope)],
    [n.schedulerRoleName, "scheduler.amazonaws.com", n.schedulerPolicy, schedulerPolicy(scope)],
  ] as const) {
    await ignore(
      ctx.aws.iam(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: trustPolicy(service, scope.accountId),
          Description: `ebdb read-replica autoscaler of ${d.identifier}`,
          Tags: tagList(d),
        }),
      ),
      "EntityAlreadyExists",
      "EntityAlreadyExistsException",
    );
    // A role just made may not be visible yet (IAM is eventually consistent): a few tries.
    for (let i = 0; ; i++) {
      try {
        await ctx.aws.iam(
          new PutRolePolicyCommand({ RoleName: name, PolicyName: policy, PolicyDocument: doc }),
        );
        break;
      } catch (e) {
        if (!isAwsCode(e, "NoSuchEntity", "NoSuchEntityException") || i >= 10) throw e;
        await ctx.clock.sleep(2000 * (i + 1));
      }
    }
  }

  const zip = await autoscalerZip();
  const cfg = controllerConfig(ctx, place, zoneId);
  const settings = {
    Role: roleArn(n.roleName),
    Runtime: LAMBDA_RUNTIME as Runtime,
    Handler: LAMBDA_HANDLER,
    Timeout: LAMBDA_TIMEOUT,
    MemorySize: LAMBDA_MEMORY_MB,
    Environment: { Variables: { EBDB_AUTOSCALE: JSON.stringify(cfg) } },
    Description: `ebdb read-replica autoscaler of ${d.identifier}`,
    LoggingConfig: { LogFormat: "Text" as const, LogGroup: n.logGroup },
  };
  if (!live.fn) {
    // A role just made takes seconds to be assumable by Lambda (IAM is eventually consistent).
    for (let i = 0; ; i++) {
      try {
        await ctx.aws.lambda(
          new CreateFunctionCommand({
            ...settings,
            FunctionName: n.functionName,
            Code: { ZipFile: zip },
            Architectures: [LAMBDA_ARCHITECTURE],
            Tags: Object.fromEntries(tagList(d).map((t) => [t.Key, t.Value])),
          }),
        );
        break;
      } catch (e) {
        if (isAwsCode(e, "ResourceConflictException")) break;
        if (
          !(isAwsCode(e, "InvalidParameterValueException") && /cannot be assumed/.test(String(e)) && i < 10)
        )
          throw e;
        await ctx.clock.sleep(3000);
      }
    }
  } else {
    let old: ControllerConfig | null = null;
    try {
      old = JSON.parse(live.fn.Environment?.Variables?.EBDB_AUTOSCALE ?? "null");
    } catch {}
    if (live.fn.CodeSha256 !== codeSha256(zip)) {
      await settled(ctx, n.functionName);
      await ctx.aws.lambda(new UpdateFunctionCodeCommand({ FunctionName: n.functionName, ZipFile: zip }));
    }
    if (
      !old ||
      JSON.stringify(old) !== JSON.stringify(cfg) ||
      live.fn.MemorySize !== LAMBDA_MEMORY_MB ||
      live.fn.Timeout !== LAMBDA_TIMEOUT ||
      live.fn.Runtime !== LAMBDA_RUNTIME ||
      settingsOf(old) !== settingsOf(cfg)
    ) {
      await settled(ctx, n.functionName);
      await ctx.aws.lambda(
        new UpdateFunctionConfigurationCommand({ ...settings, FunctionName: n.functionName }),
      );
    }
  }
  await ctx.aws.lambda(
    new PutFunctionConcurrencyCommand({
      FunctionName: n.functionName,
      ReservedConcurrentExecutions: LAMBDA_CONCURRENCY,
    }),
  );
  await settled(ctx, n.functionName);

  const schedule = {
    Name: n.scheduleName,
    ScheduleExpression: SCHEDULE_EXPRESSION,
    FlexibleTimeWindow: { Mode: "OFF" as const },
    State: "ENABLED" as const,
    Description: `Runs the ebdb read-replica autoscaler of ${d.identifier} each minute`,
    Target: {
      Arn: `arn:${scope.partition}:lambda:${region}:${scope.accountId}:function:${n.functionName}`,
      RoleArn: roleArn(n.schedulerRoleName),
      Input: SCHEDULE_INPUT,
      RetryPolicy: { MaximumRetryAttempts: 0 },
    },
  };
  if (!live.schedule)
    await ignore(ctx.aws.scheduler(new CreateScheduleCommand(schedule)), "ConflictException");
  else await ctx.aws.scheduler(new UpdateScheduleCommand(schedule));

  // One run now: the reader record exists (the primary, or the ready replicas) when `up` ends.
  const first = await ctx.aws.lambda(
    new InvokeCommand({
      FunctionName: n.functionName,
      Payload: new TextEncoder().encode(JSON.stringify({ scheduledTime: ctx.clock.now().toISOString() })),
    }),
  );
  if (first.FunctionError) {
    const body = new TextDecoder().decode(first.Payload ?? new Uint8Array());
    ctx.io.event({
      type: "warning",
      message: `The autoscaler's first run failed (${body.slice(0, 300)}); it runs again each minute: see its log group ${n.logGroup}.`,
    });
  }
  return zoneId;
}
