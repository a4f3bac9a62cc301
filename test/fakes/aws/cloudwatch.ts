import type {
  DeleteAlarmsCommandInput,
  DescribeAlarmsCommandInput,
  Dimension,
  GetMetricDataCommandInput,
  GetMetricStatisticsCommandInput,
  MetricAlarm,
  PutMetricAlarmCommandInput,
  SetAlarmStateCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import type { Alarm, MetricPoint, RegionState } from "./state.js";
import type { World } from "./world.js";

const OPERATORS = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
  "LessThanLowerOrGreaterThanUpperThreshold",
  "LessThanLowerThreshold",
  "GreaterThanUpperThreshold",
];
const STATES = ["OK", "ALARM", "INSUFFICIENT_DATA"] as const;

const dims = (d: Dimension[] | undefined): Record<string, string> =>
  Object.fromEntries((d ?? []).map((x) => [x.Name ?? "", x.Value ?? ""]));
const sameDims = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

function alarmShape(a: Alarm): MetricAlarm {
  const i = a.input as unknown as PutMetricAlarmCommandInput;
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    AlarmDescription: i.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(a.updatedAt),
    ActionsEnabled: i.ActionsEnabled ?? true,
    OKActions: i.OKActions ?? [],
    AlarmActions: i.AlarmActions ?? [],
    InsufficientDataActions: i.InsufficientDataActions ?? [],
    StateValue: a.state,
    StateReason: a.stateReason,
    StateUpdatedTimestamp: new Date(a.stateUpdatedAt),
    StateTransitionedTimestamp: new Date(a.stateUpdatedAt),
    MetricName: i.MetricName,
    Namespace: i.Namespace,
    Statistic: i.Statistic,
    ExtendedStatistic: i.ExtendedStatistic,
    Dimensions: i.Dimensions ?? [],
    Period: i.Period,
    Unit: i.Unit,
    EvaluationPeriods: i.EvaluationPeriods,
    DatapointsToAlarm: i.DatapointsToAlarm,
    Threshold: i.Threshold,
    ComparisonOperator: i.ComparisonOperator,
    TreatMissingData: i.TreatMissingData,
    Metrics: i.Metrics,
    ThresholdMetricId: i.ThresholdMetricId,
  };
}

/** Sets an alarm's state (as SetAlarmState does); returns false when there is no such alarm. */
export function setAlarmState(
  w: World,
  r: RegionState,
  name: string,
  state: Alarm["state"],
  reason: string,
): boolean {
  const a = r.cloudwatch.alarms.get(name);
  if (!a) return false;
  if (a.state !== state) a.stateUpdatedAt = w.now();
  a.state = state;
  a.stateReason = reason;
  return true;
}

/** Records a metric value and re-evaluates the alarms watching that metric on its latest value. */
export function putMetric(w: World, r: RegionState, point: Omit<MetricPoint, "at"> & { at?: number }): void {
  const p: MetricPoint = { ...point, at: point.at ?? w.now() };
  r.cloudwatch.metrics.push(p);
  for (const a of r.cloudwatch.alarms.values()) {
    const i = a.input as unknown as PutMetricAlarmCommandInput;
    if (
      i.Namespace !== p.namespace ||
      i.MetricName !== p.metricName ||
      !sameDims(dims(i.Dimensions), p.dimensions)
    )
      continue;
    const t = i.Threshold ?? 0;
    const op = i.ComparisonOperator ?? "";
    const breach =
      op === "GreaterThanThreshold"
        ? p.value > t
        : op === "GreaterThanOrEqualToThreshold"
          ? p.value >= t
          : op === "LessThanThreshold"
            ? p.value < t
            : op === "LessThanOrEqualToThreshold"
              ? p.value <= t
              : false;
    setAlarmState(
      w,
      r,
      a.name,
      breach ? "ALARM" : "OK",
      `Threshold Crossed: 1 datapoint [${p.value}] was ${breach ? "" : "not "}${op} the threshold (${t}).`,
    );
  }
}

function points(
  ctx: Ctx,
  ns: string,
  metric: string,
  d: Record<string, string>,
  start: number,
  end: number,
): MetricPoint[] {
  const stored = ctx.r.cloudwatch.metrics.filter(
    (p) => p.namespace === ns && p.metricName === metric && sameDims(p.dimensions, d),
  );
  // A replica's lag is reported from the instance itself when a test has not set explicit points.
  if (stored.length === 0 && ns === "AWS/RDS" && metric === "ReplicaLag") {
    const inst = ctx.r.rds.instances.get(d.DBInstanceIdentifier ?? "");
    if (inst?.replicaSource && inst.status === "available") {
      return [
        {
          namespace: ns,
          metricName: metric,
          dimensions: d,
          value: inst.replicaLag,
          at: Math.min(end - 1, ctx.w.now() - 60_000),
        },
      ];
    }
  }
  return stored.filter((p) => p.at >= start && p.at < end);
}

/** A statistic over points, statistic sets (PutMetricData StatisticValues) counted as their samples. */
function stat(ps: MetricPoint[], s: string): number {
  const sets = ps.map((p) => p.stats ?? { count: 1, sum: p.value, min: p.value, max: p.value });
  if (s === "Maximum") return Math.max(...sets.map((x) => x.max));
  if (s === "Minimum") return Math.min(...sets.map((x) => x.min));
  const sum = sets.reduce((a, x) => a + x.sum, 0);
  const count = sets.reduce((a, x) => a + x.count, 0);
  if (s === "Sum") return sum;
  if (s === "SampleCount") return count;
  return sum / count;
}

function buckets(ps: MetricPoint[], start: number, period: number): Map<number, MetricPoint[]> {
  const out = new Map<number, MetricPoint[]>();
  for (const p of ps) {
    const b = start + Math.floor((p.at - start) / (period * 1000)) * period * 1000;
    out.set(b, [...(out.get(b) ?? []), p]);
  }
  return out;
}

export const cloudwatchHandlers: Handlers = {
  PutMetricAlarm: write<PutMetricAlarmCommandInput>((ctx, input) => {
    const name = input.AlarmName ?? "";
    const invalid = (m: string) => ctx.err("ValidationError", m);
    if (!name || name.length > 255) throw invalid("AlarmName must be 1-255 characters.");
    if (!OPERATORS.includes(input.ComparisonOperator ?? "")) {
      throw invalid(
        `1 validation error detected: Value '${input.ComparisonOperator}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [${OPERATORS.join(", ")}]`,
      );
    }
    if (!input.EvaluationPeriods || input.EvaluationPeriods < 1)
      throw invalid("EvaluationPeriods must be at least 1.");
    const kinds = [input.Statistic, input.ExtendedStatistic, input.Metrics].filter(
      (x) => x !== undefined,
    ).length;
    if (kinds !== 1) {
      throw ctx.err(
        "InvalidParameterCombinationException",
        "Exactly one of Statistic, ExtendedStatistic or Metrics must be specified.",
      );
    }
    if (!input.Metrics) {
      if (!input.MetricName || !input.Namespace)
        throw ctx.err("MissingRequiredParameterException", "MetricName and Namespace are required.");
      const period = input.Period ?? 0;
      if (!(period === 10 || period === 30 || (period > 0 && period % 60 === 0))) {
        throw invalid("Period must be 10, 30 or a multiple of 60.");
      }
      if (period * input.EvaluationPeriods > 86_400 * 7)
        throw invalid("The evaluation interval (Period * EvaluationPeriods) must not exceed 7 days.");
    }
    if (input.Threshold === undefined && !input.ThresholdMetricId)
      throw ctx.err("MissingRequiredParameterException", "Threshold is required.");
    if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods) {
      throw invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
    }
    for (const arn of [
      ...(input.AlarmActions ?? []),
      ...(input.OKActions ?? []),
      ...(input.InsufficientDataActions ?? []),
    ]) {
      if (!/^arn:aws:(sns|autoscaling|ec2|ssm|lambda):/.test(arn))
        throw invalid(`Invalid arn syntax: ${arn}`);
    }
    const existing = ctx.r.cloudwatch.alarms.get(name);
    const now = ctx.w.now();
    const alarm: Alarm = existing ?? {
      name,
      arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.w.accountId}:alarm:${name}`,
      input: {},
      state: "INSUFFICIENT_DATA",
      stateReason: "Unchecked: Initial alarm creation",
      stateUpdatedAt: now,
      updatedAt: now,
    };
    alarm.input = structuredClone(input) as unknown as Record<string, unknown>;
    alarm.updatedAt = now;
    ctx.r.cloudwatch.alarms.set(name, alarm);
    if (!existing) ctx.w.created("Alarm", ctx.region, name);
    return {};
  }),

  DescribeAlarms: read<DescribeAlarmsCommandInput>((ctx, input) => {
    if (input.AlarmNames?.length && input.AlarmNamePrefix) {
      throw ctx.err(
        "InvalidParameterCombinationException",
        "AlarmNames and AlarmNamePrefix cannot be used together.",
      );
    }
    if (input.AlarmNames && input.AlarmNames.length > 100)
      throw ctx.err("ValidationError", "AlarmNames can list at most 100 names.");
    if (input.StateValue && !STATES.includes(input.StateValue))
      throw ctx.err("ValidationError", `Invalid StateValue ${input.StateValue}`);
    const list = [...ctx.r.cloudwatch.alarms.values()]
      .filter((a) => ctx.w.visible("Alarm", ctx.region, a.name))
      .filter((a) => !input.AlarmNames?.length || input.AlarmNames.includes(a.name))
      .filter((a) => !input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix))
      .filter((a) => !input.StateValue || a.state === input.StateValue)
      .filter(
        (a) =>
          !input.ActionPrefix ||
          ((a.input.AlarmActions as string[] | undefined) ?? []).some((x) =>
            x.startsWith(input.ActionPrefix ?? ""),
          ),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    const types = input.AlarmTypes ?? ["MetricAlarm"];
    const page = ctx.w.page(
      "cloudwatch",
      types.includes("MetricAlarm") ? list : [],
      input.NextToken,
      input.MaxRecords,
      {
        min: 1,
        max: 100,
        param: "MaxRecords",
        badToken: "InvalidNextToken",
      },
    );
    return { MetricAlarms: page.items.map(alarmShape), CompositeAlarms: [], NextToken: page.next };
  }),

  DeleteAlarms: write<DeleteAlarmsCommandInput>((ctx, input) => {
    const names = input.AlarmNames ?? [];
    const missing = names.filter((n) => !ctx.r.cloudwatch.alarms.has(n));
    if (missing.length > 0) {
      throw ctx.err(
        "ResourceNotFound",
        `${missing.length} of the alarms were not found: ${missing.join(", ")}`,
        404,
      );
    }
    for (const n of names) ctx.r.cloudwatch.alarms.delete(n);
    return {};
  }),

  SetAlarmState: write<SetAlarmStateCommandInput>((ctx, input) => {
    if (!STATES.includes(input.StateValue as Alarm["state"]))
      throw ctx.err("ValidationError", `Invalid StateValue ${input.StateValue}`);
    if (
      !setAlarmState(
        ctx.w,
        ctx.r,
        input.AlarmName ?? "",
        input.StateValue as Alarm["state"],
        input.StateReason ?? "",
      )
    ) {
      throw ctx.err("ResourceNotFound", `Alarm ${input.AlarmName} not found`, 404);
    }
    return {};
  }),

  GetMetricStatistics: read<GetMetricStatisticsCommandInput>((ctx, input) => {
    const start = new Date(input.StartTime ?? 0).getTime();
    const end = new Date(input.EndTime ?? 0).getTime();
    const period = input.Period ?? 60;
    const ps = points(ctx, input.Namespace ?? "", input.MetricName ?? "", dims(input.Dimensions), start, end);
    const stats = input.Statistics ?? ["Average"];
    return {
      Label: input.MetricName,
      Datapoints: [...buckets(ps, start, period)].map(([at, values]) => ({
        Timestamp: new Date(at),
        ...Object.fromEntries(stats.map((s) => [s, stat(values, s)])),
        Unit: input.Unit ?? "None",
      })),
    };
  }),

  GetMetricData: read<GetMetricDataCommandInput>((ctx, input) => {
    const start = new Date(input.StartTime ?? 0).getTime();
    const end = new Date(input.EndTime ?? 0).getTime();
    return {
      MetricDataResults: (input.MetricDataQueries ?? [])
        .filter((q) => q.ReturnData !== false && q.MetricStat)
        .map((q) => {
          const m = q.MetricStat?.Metric;
          const period = q.MetricStat?.Period ?? 60;
          const ps = points(ctx, m?.Namespace ?? "", m?.MetricName ?? "", dims(m?.Dimensions), start, end);
          const rows = [...buckets(ps, start, period)].sort(([a], [b]) => b - a);
          return {
            Id: q.Id,
            Label: q.Label ?? m?.MetricName,
            Timestamps: rows.map(([at]) => new Date(at)),
            Values: rows.map(([, values]) => stat(values, q.MetricStat?.Stat ?? "Average")),
            StatusCode: "Complete" as const,
          };
        }),
      Messages: [],
    };
  }),
};
