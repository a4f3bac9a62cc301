import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import { desiredAlarms } from "../../model/desired.js";
import type { Desired, DesiredAlarm } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";

export interface LiveTopic {
  arn: string;
  /** Subscribed endpoints (e-mail addresses), pending confirmation or not. */
  subscriptions: string[];
}

/** The topic's ARN, built from the account: SNS has no lookup by name but ListTopics over every topic. */
export function topicArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:sns:${region}:${account}:${name}`;
}

export async function readTopic(
  aws: AwsClients,
  arn: string,
  withSubscriptions: boolean,
): Promise<LiveTopic | null> {
  try {
    await aws.sns(new GetTopicAttributesCommand({ TopicArn: arn }));
  } catch (e) {
    if (isAwsCode(e, "NotFound", "NotFoundException")) return null;
    throw e;
  }
  const subscriptions: string[] = [];
  if (withSubscriptions) {
    let token: string | undefined;
    do {
      const r = await aws.sns(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken: token }));
      for (const s of r.Subscriptions ?? []) if (s.Endpoint) subscriptions.push(s.Endpoint);
      token = r.NextToken;
    } while (token);
  }
  return { arn, subscriptions };
}

/** Creates the topic (idempotent in SNS) and the e-mail subscription when configured and missing. */
export async function ensureTopic(ctx: AwsCtx, live: LiveTopic | null): Promise<string> {
  const { desired } = ctx;
  let arn = live?.arn;
  if (!live) {
    const r = await ctx.aws.sns(
      new CreateTopicCommand({ Name: desired.monitoring.topic, Tags: tagList(desired) }),
    );
    arn = r.TopicArn!;
  }
  const email = desired.monitoring.email;
  if (email && !(live?.subscriptions ?? []).includes(email)) {
    await ctx.aws.sns(new SubscribeCommand({ TopicArn: arn, Protocol: "email", Endpoint: email }));
    ctx.io.event({
      type: "info",
      message: `AWS sent a confirmation e-mail to ${email}: accept it to receive the alarms`,
    });
  }
  return arn!;
}

export async function deleteTopic(aws: AwsClients, arn: string): Promise<void> {
  try {
    await aws.sns(new DeleteTopicCommand({ TopicArn: arn }));
  } catch (e) {
    if (!isAwsCode(e, "NotFound", "NotFoundException")) throw e;
  }
}

/** Our alarms: every alarm named `<identifier>-...`. */
export async function readAlarms(aws: AwsClients, identifier: string): Promise<MetricAlarm[]> {
  const out: MetricAlarm[] = [];
  let token: string | undefined;
  do {
    const r = await aws.cw(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: `${identifier}-`,
        AlarmTypes: ["MetricAlarm"],
        NextToken: token,
      }),
    );
    out.push(...(r.MetricAlarms ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

/**
 * The lag alarms of replicas whose names do not start with the identifier (those `ebdb adopt` took
 * under their own names, `<replica>-lag`), which readAlarms' prefix does not find. No call when there
 * are none.
 */
export async function readLagAlarms(
  aws: AwsClients,
  identifier: string,
  replicas: readonly { DBInstanceIdentifier?: string }[],
): Promise<MetricAlarm[]> {
  const names = replicas
    .map((r) => r.DBInstanceIdentifier ?? "")
    .filter((n) => n && !n.startsWith(`${identifier}-`))
    .map((n) => `${n}-lag`);
  if (names.length === 0) return [];
  const r = await aws.cw(
    new DescribeAlarmsCommand({ AlarmNames: names.slice(0, 100), AlarmTypes: ["MetricAlarm"] }),
  );
  return r.MetricAlarms ?? [];
}

/** The alarms wanted when these replicas run: the configured ones, with one lag alarm per replica. */
export function alarmsForReplicas(desired: Desired, replicaNames: string[]): DesiredAlarm[] {
  if (!desired.monitoring.enabled) return [];
  const rest = desired.monitoring.alarms.filter((a) => a.metric !== "ReplicaLag");
  const lag = desiredAlarms(desired.config, replicaNames).filter((a) => a.metric === "ReplicaLag");
  return [...rest, ...lag];
}

export function alarmInput(
  desired: Desired,
  a: DesiredAlarm,
  topic: string | null,
): PutMetricAlarmCommandInput {
  return {
    AlarmName: a.name,
    AlarmDescription: a.description,
    ActionsEnabled: true,
    AlarmActions: topic ? [topic] : [],
    OKActions: topic ? [topic] : [],
    MetricName: a.metric,
    Namespace: a.namespace,
    Statistic: a.statistic,
    Dimensions: [{ Name: "DBInstanceIdentifier", Value: a.instance }],
    Period: a.periodSeconds,
    EvaluationPeriods: a.evaluationPeriods,
    Threshold: a.threshold,
    ComparisonOperator: a.comparison,
    Tags: tagList(desired),
  };
}

/** The settings of a live alarm that differ from the wanted ones (names of the fields). */
export function alarmDrift(have: MetricAlarm, want: PutMetricAlarmCommandInput): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const list = (xs: string[] | undefined) => [...(xs ?? [])].sort();
  const dims = (d: { Name?: string; Value?: string }[] | undefined) =>
    (d ?? []).map((x) => `${x.Name}=${x.Value}`).sort();
  const out: string[] = [];
  if (!same(have.AlarmDescription, want.AlarmDescription)) out.push("description");
  if (have.MetricName !== want.MetricName || have.Namespace !== want.Namespace) out.push("metric");
  if (have.Statistic !== want.Statistic) out.push("statistic");
  if (have.Period !== want.Period) out.push("period");
  if (have.EvaluationPeriods !== want.EvaluationPeriods) out.push("evaluationPeriods");
  if (have.Threshold !== want.Threshold) out.push("threshold");
  if (have.ComparisonOperator !== want.ComparisonOperator) out.push("comparison");
  if (!same(dims(have.Dimensions), dims(want.Dimensions))) out.push("instance");
  if (
    !same(list(have.AlarmActions), list(want.AlarmActions)) ||
    !same(list(have.OKActions), list(want.OKActions))
  ) {
    out.push("actions");
  }
  if ((have.ActionsEnabled ?? true) !== want.ActionsEnabled) out.push("actionsEnabled");
  return out;
}

/** Puts every alarm that is missing or differs, deletes ours that nothing wants. Returns the calls made. */
export async function ensureAlarms(
  ctx: AwsCtx,
  live: MetricAlarm[],
  wanted: DesiredAlarm[],
  topic: string | null,
): Promise<number> {
  const byName = new Map(live.map((a) => [a.AlarmName!, a]));
  let calls = 0;
  const puts = wanted
    .map((a) => alarmInput(ctx.desired, a, topic))
    .filter((input) => {
      const have = byName.get(input.AlarmName!);
      return !have || alarmDrift(have, input).length > 0;
    });
  await Promise.all(
    puts.map(async (input) => {
      await ctx.aws.cw(new PutMetricAlarmCommand(input));
      calls++;
    }),
  );
  const names = new Set(wanted.map((a) => a.name));
  const stale = live.map((a) => a.AlarmName!).filter((n) => !names.has(n));
  for (let i = 0; i < stale.length; i += 100) {
    await ctx.aws.cw(new DeleteAlarmsCommand({ AlarmNames: stale.slice(i, i + 100) }));
    calls++;
  }
  return calls;
}

export async function deleteAlarms(aws: AwsClients, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 100) {
    await aws.cw(new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }));
  }
}
