import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { AwsClients, Clock } from "./clients.js";

/** The latest value of an RDS metric for several instances, in one call; null where there is none. */
export async function latestMetric(
  aws: AwsClients,
  clock: Clock,
  metric: string,
  instances: string[],
  stat: "Average" | "Maximum" | "Minimum" = "Average",
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>(instances.map((i) => [i, null]));
  if (instances.length === 0) return out;
  // EndTime is exclusive: include the current minute.
  const end = new Date(clock.now().getTime() + 60_000);
  const start = new Date(end.getTime() - 16 * 60_000);
  const queries: MetricDataQuery[] = instances.map((id, i) => ({
    Id: `m${i}`,
    MetricStat: {
      Metric: {
        Namespace: "AWS/RDS",
        MetricName: metric,
        Dimensions: [{ Name: "DBInstanceIdentifier", Value: id }],
      },
      Period: 60,
      Stat: stat,
    },
    ReturnData: true,
  }));
  let token: string | undefined;
  do {
    const r = await aws.cw(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ScanBy: "TimestampDescending",
        NextToken: token,
      }),
    );
    for (const res of r.MetricDataResults ?? []) {
      const i = Number((res.Id ?? "").slice(1));
      const id = instances[i];
      if (id === undefined || out.get(id) !== null) continue;
      // Values come newest first with TimestampDescending; pick the newest by timestamp anyway.
      let best: { t: number; v: number } | null = null;
      (res.Timestamps ?? []).forEach((ts, k) => {
        const v = res.Values?.[k];
        if (v !== undefined && (!best || ts.getTime() > best.t)) best = { t: ts.getTime(), v };
      });
      if (best) out.set(id, (best as { v: number }).v);
    }
    token = r.NextToken;
  } while (token);
  return out;
}
