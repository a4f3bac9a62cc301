import type { PutMetricDataCommandInput, StandardUnit } from "@aws-sdk/client-cloudwatch";
import { putMetric } from "./cloudwatch.js";
import { type Handlers, write } from "./kit.js";

/**
 * CloudWatch PutMetricData: custom metrics, as single values or statistic sets, checked as the
 * CloudWatch API Reference (PutMetricData, MetricDatum, StatisticSet) says. Points land in the same
 * store GetMetricData reads.
 */

const UNITS: StandardUnit[] = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
] as StandardUnit[];

/** CloudWatch rejects values outside ±2^360 and non-finite ones. */
const LIMIT = 2 ** 360;
const ok = (v: number) => Number.isFinite(v) && Math.abs(v) <= LIMIT;
const TWO_WEEKS_MS = 14 * 86_400_000;
const TWO_HOURS_MS = 2 * 3_600_000;

export const cloudwatchPutHandlers: Handlers = {
  PutMetricData: write<PutMetricDataCommandInput>((ctx, input) => {
    const bad = (m: string) => ctx.err("InvalidParameterValue", m);
    const ns = input.Namespace ?? "";
    if (!ns) throw ctx.err("MissingParameter", "The parameter Namespace is required.");
    if (ns.length > 255 || ns.startsWith("AWS/") || ns.startsWith(":"))
      throw bad(`The value ${ns.startsWith("AWS/") ? "AWS/" : ns} for parameter Namespace is invalid.`);
    const data = input.MetricData ?? [];
    if (data.length === 0) throw ctx.err("MissingParameter", "The parameter MetricData is required.");
    if (data.length > 1000) throw bad("The collection MetricData must not have a size greater than 1000.");
    const now = ctx.w.now();
    const points = data.map((d, k) => {
      const at = `MetricData.member.${k + 1}`;
      if (!d.MetricName || d.MetricName.length > 255)
        throw ctx.err("MissingParameter", `The parameter ${at}.MetricName is required.`);
      if ((d.Dimensions?.length ?? 0) > 30)
        throw bad(`The collection ${at}.Dimensions must not have a size greater than 30.`);
      for (const dim of d.Dimensions ?? [])
        if (!dim.Name || !dim.Value || dim.Name.length > 255 || dim.Value.length > 1024)
          throw bad(
            `The dimension ${dim.Name ?? ""} of ${at} must have a name (1-255) and a value (1-1024).`,
          );
      if (d.Unit && !UNITS.includes(d.Unit)) throw bad(`The unit ${d.Unit} of ${at} is not valid.`);
      if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60)
        throw bad(`The parameter ${at}.StorageResolution must be 1 or 60.`);
      const t = d.Timestamp ? new Date(d.Timestamp).getTime() : now;
      if (t > now + TWO_HOURS_MS)
        throw bad(`The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);
      if (t < now - TWO_WEEKS_MS)
        throw bad(`The parameter ${at}.Timestamp must specify a time within the past two weeks.`);
      const kinds = [d.Value !== undefined, d.StatisticValues !== undefined, d.Values !== undefined];
      if (kinds.filter(Boolean).length > 1)
        throw ctx.err(
          "InvalidParameterCombination",
          `The parameters ${at}.Value, ${at}.StatisticValues and ${at}.Values are mutually exclusive.`,
        );
      if (d.Values !== undefined)
        throw bad(`${at}.Values: the AWS fake models Value and StatisticValues only.`);
      const dimensions = Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name ?? "", x.Value ?? ""]));
      const base = { namespace: ns, metricName: d.MetricName, dimensions, at: t, unit: d.Unit };
      if (d.StatisticValues) {
        const s = d.StatisticValues;
        for (const f of ["SampleCount", "Sum", "Minimum", "Maximum"] as const)
          if (s[f] === undefined || !ok(s[f] as number))
            throw ctx.err("MissingParameter", `The parameter ${at}.StatisticValues.${f} is required.`);
        if ((s.SampleCount as number) <= 0) throw bad(`${at}.StatisticValues.SampleCount must be above 0.`);
        if ((s.Minimum as number) > (s.Maximum as number))
          throw bad(`${at}.StatisticValues.Minimum must not be greater than Maximum.`);
        const stats = { count: s.SampleCount!, sum: s.Sum!, min: s.Minimum!, max: s.Maximum! };
        return { ...base, value: stats.sum / stats.count, stats };
      }
      const v = d.Value ?? 0;
      if (!ok(v)) throw bad(`The value ${v} for parameter ${at}.Value is invalid.`);
      return { ...base, value: v };
    });
    // All or nothing: the request is checked before any point is stored.
    for (const p of points) putMetric(ctx.w, ctx.r, p);
    return {};
  }),
};
