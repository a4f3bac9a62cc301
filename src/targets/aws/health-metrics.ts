import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { AwsClients, Clock } from "./clients.js";

/** One metric's points, oldest first: epoch ms and value. */
export type Series = { t: number; v: number }[];

/** What doctor reads from CloudWatch (AWS/RDS, dimension DBInstanceIdentifier) for one instance. */
export interface HealthMetrics {
  /** FreeStorageSpace (bytes), the hourly minimum over HISTORY_HOURS. */
  free: Series;
  /** CPUUtilization (percent), 5-minute averages. */
  cpu: Series;
  /** DatabaseConnections, 5-minute maximums. */
  connections: Series;
  /** CPUCreditBalance (credits), 5-minute averages; empty for fixed-performance classes. */
  credits: Series;
  /** TransactionLogsGeneration (bytes/s of WAL, PostgreSQL), 5-minute averages. */
  wal: Series;
}

/** How far back doctor looks: two days of hourly free space give the growth rate. */
export const HISTORY_HOURS = 48;
/** A "now" figure must be this recent (RDS publishes its metrics every minute). */
export const RECENT_MS = 15 * 60_000;

const QUERIES: { key: keyof HealthMetrics; metric: string; stat: string; period: number }[] = [
  { key: "free", metric: "FreeStorageSpace", stat: "Minimum", period: 3600 },
  { key: "cpu", metric: "CPUUtilization", stat: "Average", period: 300 },
  { key: "connections", metric: "DatabaseConnections", stat: "Maximum", period: 300 },
  { key: "credits", metric: "CPUCreditBalance", stat: "Average", period: 300 },
  { key: "wal", metric: "TransactionLogsGeneration", stat: "Average", period: 300 },
];

/** The instance's metrics doctor judges, in one GetMetricData call (following NextToken). */
export async function readHealthMetrics(aws: AwsClients, clock: Clock, id: string): Promise<HealthMetrics> {
  const end = new Date(clock.now().getTime() + 60_000); // EndTime is exclusive: include this minute
  const start = new Date(end.getTime() - HISTORY_HOURS * 3_600_000);
  const queries: MetricDataQuery[] = QUERIES.map((q) => ({
    Id: q.key,
    MetricStat: {
      Metric: {
        Namespace: "AWS/RDS",
        MetricName: q.metric,
        Dimensions: [{ Name: "DBInstanceIdentifier", Value: id }],
      },
      Period: q.period,
      Stat: q.stat,
    },
    ReturnData: true,
  }));
  const out: HealthMetrics = { free: [], cpu: [], connections: [], credits: [], wal: [] };
  let token: string | undefined;
  do {
    const r = await aws.cw(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ScanBy: "TimestampAscending",
        NextToken: token,
      }),
    );
    for (const res of r.MetricDataResults ?? []) {
      const key = res.Id as keyof HealthMetrics;
      if (!(key in out)) continue;
      (res.Timestamps ?? []).forEach((ts, k) => {
        const v = res.Values?.[k];
        if (v !== undefined) out[key].push({ t: new Date(ts).getTime(), v });
      });
    }
    token = r.NextToken;
  } while (token);
  for (const s of Object.values(out) as Series[]) s.sort((a, b) => a.t - b.t);
  return out;
}

/** The newest value when it is recent (RECENT_MS), else null. */
export function latest(s: Series, nowMs: number): number | null {
  const last = s.at(-1);
  return last && nowMs - last.t <= RECENT_MS + 60_000 ? last.v : null;
}

/** The value nearest to `ms` before now (within 15 minutes of it), else null. */
export function valueAgo(s: Series, nowMs: number, ms: number): number | null {
  const want = nowMs - ms;
  let best: { t: number; v: number } | null = null;
  for (const p of s) if (!best || Math.abs(p.t - want) < Math.abs(best.t - want)) best = p;
  return best && Math.abs(best.t - want) <= RECENT_MS ? best.v : null;
}

/**
 * How fast the database's used space grows, from hourly FreeStorageSpace minimums: the least-squares
 * slope of the points since free space last jumped up (storage grown, by autoscaling or by hand, or
 * space given back), in bytes per day. null with fewer than two points an hour apart.
 */
export function storageGrowth(
  free: Series,
  allocatedBytes: number | null,
): { bytesPerDay: number; windowHours: number } | null {
  const jump = Math.max(1024 ** 3, 0.05 * (allocatedBytes ?? 0));
  let from = 0;
  for (let i = 1; i < free.length; i++) if (free[i].v - free[i - 1].v > jump) from = i;
  const pts = free.slice(from);
  if (pts.length < 2) return null;
  const span = pts[pts.length - 1].t - pts[0].t;
  if (span < 3_600_000) return null;
  const n = pts.length;
  const mt = pts.reduce((a, p) => a + p.t, 0) / n;
  const mv = pts.reduce((a, p) => a + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of pts) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  const freePerMs = den > 0 ? num / den : 0;
  return { bytesPerDay: Math.round(-freePerMs * 86_400_000), windowHours: Math.round(span / 360_000) / 10 };
}

/**
 * Whether a PostgreSQL primary wrote (almost) no WAL over the last 10 minutes: every recent
 * TransactionLogsGeneration average under 1 KiB/s (RDS's own housekeeping writes far less; a
 * primary committing anything regularly keeps ReplicaLag near zero anyway). null without figures.
 */
export function walIdle(wal: Series, nowMs: number): boolean | null {
  const recent = wal.filter((p) => nowMs - p.t <= 10 * 60_000 + 60_000);
  return recent.length === 0 ? null : recent.every((p) => p.v < 1024);
}
