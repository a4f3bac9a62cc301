import {
  GetMetricDataCommand,
  type MetricDataQuery,
  PutMetricDataCommand,
  type ServiceInputTypes as CwIn,
} from "@aws-sdk/client-cloudwatch";
import {
  type DBInstance,
  DescribeDBInstancesCommand,
  type ServiceInputTypes as RdsIn,
} from "@aws-sdk/client-rds";
import {
  ChangeResourceRecordSetsCommand,
  type Change as DnsChange,
  ListResourceRecordSetsCommand,
  type ServiceInputTypes as R53In,
} from "@aws-sdk/client-route-53";
import type { CommandOf, OutputOf } from "./clients.js";

/**
 * The AWS calls of the autoscaling controller, shared by the Lambda handler (plain SDK clients, the
 * SDK the Lambda runtime provides) and `ebdb autoscale run|status --target aws` (AwsClients, with
 * ebdb's retries and errors). Only type imports from clients.ts: the bundle leaves out the CLI.
 */
export interface ControllerAws {
  rds<C extends CommandOf<RdsIn>>(command: C): Promise<OutputOf<C>>;
  cw<C extends CommandOf<CwIn>>(command: C): Promise<OutputOf<C>>;
  route53<C extends CommandOf<R53In>>(command: C): Promise<OutputOf<C>>;
}

const MAX_REPLICAS = 15;

/** `<identifier>-replica-<n>`: the replicas ebdb makes (up, replica add, the runner). */
export function replicaId(identifier: string, n: number): string {
  return `${identifier}-replica-${n}`;
}

export function replicaNumber(identifier: string, name: string): number | null {
  const m = new RegExp(`^${identifier.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-replica-(\\d+)$`).exec(name);
  return m ? Number(m[1]) : null;
}

/** The primary and its replicas (ours by name, any state but gone), in one filtered call. */
export async function readDatabase(
  aws: ControllerAws,
  identifier: string,
): Promise<{ primary: DBInstance | null; replicas: DBInstance[] }> {
  const names = [identifier, ...Array.from({ length: MAX_REPLICAS }, (_, i) => replicaId(identifier, i + 1))];
  const found: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const r = await aws.rds(
      new DescribeDBInstancesCommand({
        Filters: [{ Name: "db-instance-id", Values: names }],
        Marker: marker,
      }),
    );
    found.push(...(r.DBInstances ?? []));
    marker = r.Marker;
  } while (marker);
  const primary = found.find((i) => i.DBInstanceIdentifier === identifier) ?? null;
  const replicas = found
    .filter((i) => i.DBInstanceIdentifier !== identifier)
    .sort(
      (a, b) =>
        (replicaNumber(identifier, a.DBInstanceIdentifier!) ?? 0) -
        (replicaNumber(identifier, b.DBInstanceIdentifier!) ?? 0),
    );
  return { primary, replicas };
}

/** A CloudWatch series: minute (ms) -> value. */
export type Series = Map<number, number>;

export interface MetricQuery {
  id: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  stat: "Average" | "Maximum" | "SampleCount" | "Sum";
}

/**
 * Several series at one-minute resolution over [startMs, endMs), in as few GetMetricData calls as
 * its limits allow (500 queries a call; results paged by NextToken). Ids: `^[a-z][a-zA-Z0-9_]*$`.
 */
export async function readSeries(
  aws: ControllerAws,
  queries: MetricQuery[],
  startMs: number,
  endMs: number,
): Promise<Map<string, Series>> {
  const out = new Map<string, Series>(queries.map((q) => [q.id, new Map()]));
  for (let i = 0; i < queries.length; i += 500) {
    const batch: MetricDataQuery[] = queries.slice(i, i + 500).map((q) => ({
      Id: q.id,
      MetricStat: {
        Metric: {
          Namespace: q.namespace,
          MetricName: q.metric,
          Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: 60,
        Stat: q.stat,
      },
      ReturnData: true,
    }));
    let token: string | undefined;
    do {
      const r = await aws.cw(
        new GetMetricDataCommand({
          MetricDataQueries: batch,
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          NextToken: token,
        }),
      );
      for (const res of r.MetricDataResults ?? []) {
        const s = out.get(res.Id ?? "");
        if (!s) continue;
        (res.Timestamps ?? []).forEach((t, k) => {
          const v = res.Values?.[k];
          if (v !== undefined) s.set(new Date(t).getTime(), v);
        });
      }
      token = r.NextToken;
    } while (token);
  }
  return out;
}

/** Publishes one minute of the readers' CPU as a statistic set: SampleCount = ready replicas, Average = their mean. */
export async function publishAverage(
  aws: ControllerAws,
  metric: { namespace: string; name: string; dimension: string },
  primary: string,
  atMs: number,
  cpus: number[],
): Promise<void> {
  await aws.cw(
    new PutMetricDataCommand({
      Namespace: metric.namespace,
      MetricData: [
        {
          MetricName: metric.name,
          Dimensions: [{ Name: metric.dimension, Value: primary }],
          Timestamp: new Date(atMs),
          Unit: "Percent",
          StorageResolution: 60,
          StatisticValues: {
            SampleCount: cpus.length,
            Sum: cpus.reduce((a, b) => a + b, 0),
            Minimum: Math.min(...cpus),
            Maximum: Math.max(...cpus),
          },
        },
      ],
    }),
  );
}

/** One weighted CNAME of the reader record: a replica (or the primary, weight 0, as the fallback). */
export interface ReaderEntry {
  setId: string;
  target: string;
  weight: number;
  /** Seconds (as live: a DELETE must name the TTL the record has). */
  ttl?: number;
}

/** Route 53 answers names with a trailing dot, in lower case. */
export const dnsName = (n: string) => `${n.toLowerCase().replace(/\.$/, "")}.`;

/** The weighted CNAMEs named `name` in the zone (ListResourceRecordSets from that name, paged). */
export async function readRecord(aws: ControllerAws, zoneId: string, name: string): Promise<ReaderEntry[]> {
  const want = dnsName(name);
  const out: ReaderEntry[] = [];
  let start: { name?: string; type?: string; id?: string } = { name: want, type: "CNAME" };
  for (;;) {
    const r = await aws.route53(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.id,
      }),
    );
    let past = false;
    for (const s of r.ResourceRecordSets ?? []) {
      if (dnsName(s.Name ?? "") !== want || s.Type !== "CNAME") {
        past = true;
        break;
      }
      out.push({
        setId: s.SetIdentifier ?? "",
        target: s.ResourceRecords?.[0]?.Value ?? "",
        weight: s.Weight ?? 0,
        ttl: s.TTL,
      });
    }
    if (past || !r.IsTruncated) break;
    start = { name: r.NextRecordName, type: r.NextRecordType, id: r.NextRecordIdentifier };
  }
  return out;
}

/** The set identifier of the primary's fallback entry (weight 0: answered only when no replica is). */
export const FALLBACK_ID = "primary";

/**
 * The changes that make the record hold exactly `wanted` (UPSERT what is new or different, DELETE
 * what is no longer wanted, with its values as Route 53 requires). Pure.
 */
export function recordChanges(
  live: ReaderEntry[],
  wanted: ReaderEntry[],
  name: string,
  ttl: number,
): DnsChange[] {
  const set = (e: ReaderEntry) => ({
    Name: dnsName(name),
    Type: "CNAME" as const,
    SetIdentifier: e.setId,
    Weight: e.weight,
    TTL: e.ttl ?? ttl,
    ResourceRecords: [{ Value: e.target }],
  });
  const changes: DnsChange[] = [];
  for (const w of wanted) {
    const l = live.find((x) => x.setId === w.setId);
    if (!l || dnsName(l.target) !== dnsName(w.target) || l.weight !== w.weight || l.ttl !== ttl)
      changes.push({ Action: "UPSERT", ResourceRecordSet: set({ ...w, ttl }) });
  }
  for (const l of live)
    if (!wanted.some((w) => w.setId === l.setId))
      changes.push({ Action: "DELETE", ResourceRecordSet: set(l) });
  return changes;
}

export async function changeRecord(
  aws: ControllerAws,
  zoneId: string,
  changes: DnsChange[],
  comment: string,
) {
  if (changes.length === 0) return;
  await aws.route53(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Comment: comment, Changes: changes },
    }),
  );
}
