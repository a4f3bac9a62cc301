import type { DBInstance } from "@aws-sdk/client-rds";
import { MINUTE_MS } from "../../autoscale/common.js";
import { POLICIES } from "../../autoscale/policies.js";
import { decisionRecord, stepLine } from "../../autoscale/runner-clock.js";
import type { DecisionRecord, RunnerEvent } from "../../autoscale/runner-types.js";
import type { Decision, MetricPoint, PolicyConfig, ReplicaView } from "../../autoscale/types.js";
import {
  actOnDecision,
  BROKEN,
  deleteDrained,
  type Replica,
  syncReplicaTags,
  writeMemory,
} from "./autoscale-act.js";
import {
  type ControllerAws,
  changeRecord,
  FALLBACK_ID,
  publishAverage,
  type ReaderEntry,
  readDatabase,
  readRecord,
  readSeries,
  recordChanges,
  type Series,
} from "./autoscale-io.js";
import { replicaReadiness, SETTLE_MINUTES } from "./autoscale-readiness.js";
import { CREATED_BY_AUTOSCALER, CREATED_BY_TAG } from "./autoscale-names.js";
import { readMemory, TAG, tagOf } from "./autoscale-tags.js";

/**
 * The AWS autoscaling controller: one run a minute (the Lambda function, or `ebdb autoscale run
 * --target aws`). Everything it knows it reads: the instances and their tags (RDS), the replicas'
 * CPUUtilization, ReplicaLag and DatabaseConnections and its own metric's history (CloudWatch), the
 * reader record (Route 53). Everything it must remember it writes to tags (autoscale-tags.ts).
 */

/** What `up` gives the controller (the Lambda's EBDB_AUTOSCALE variable; at most 4 KB with the rest). */
export interface ControllerConfig {
  identifier: string;
  /** The policy's settings; provisionMinutes is the first guess until a replica was measured. */
  policy: PolicyConfig;
  maxLagSeconds: number;
  metric: { namespace: string; name: string; dimension: string };
  zoneId: string;
  readerHost: string;
  ttl: number;
  replica: {
    /** CreateDBInstanceReadReplica's input as `up` makes it, without identifier, zone and tags. */
    request: Record<string, unknown>;
    /** The subnet group's zones (a new replica goes to the next, as up spreads them). */
    zones: string[];
    /** ebdb's tags (app, env, managed, role). */
    tags: { Key: string; Value: string }[];
  };
}

/** What a run did (the Lambda's result; the CLI prints the events). */
export interface StepResult {
  at: string;
  decision: DecisionRecord | null;
  metric: { atMs: number; cpuPercent: number; readyReplicas: number } | null;
  members: string[];
}

/** Statuses in which the primary can take replicas and the runner acts. */
const PRIMARY_OK = new Set(["available", "storage-optimization", "modifying", "backing-up"]);

const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const msOf = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** The replica's facts and readiness at `now`, from its instance, its tags and the metrics. */
function see(
  cfg: ControllerConfig,
  inst: DBInstance,
  now: number,
  m: Map<string, Series>,
  i: number,
): Replica {
  const tags = inst.TagList ?? [];
  const rep = inst.StatusInfos?.find((s) => s.StatusType === "read replication");
  const lagSeries = m.get(`lag${i}`) ?? new Map();
  const lagAt = Math.max(-Infinity, ...lagSeries.keys());
  const availableSinceMs = msOf(tagOf(tags, TAG.availableSince));
  const readiness = replicaReadiness(
    {
      status: inst.DBInstanceStatus ?? "unknown",
      replication: rep ? { normal: rep.Normal ?? false, status: rep.Status ?? "" } : null,
      lag: Number.isFinite(lagAt) ? { atMs: lagAt, seconds: lagSeries.get(lagAt)! } : null,
      availableSinceMs,
    },
    now,
    cfg.maxLagSeconds,
    m.get("wal") ?? new Map(),
  );
  const conn = m.get(`conn${i}`) ?? new Map();
  const connAt = Math.max(-Infinity, ...conn.keys());
  const created = msOf(tagOf(tags, TAG.createdAt)) ?? inst.InstanceCreateTime?.getTime?.() ?? now;
  return {
    id: inst.DBInstanceIdentifier!,
    inst,
    tags,
    madeByAutoscaler: tagOf(tags, CREATED_BY_TAG) === CREATED_BY_AUTOSCALER,
    createdAtMs: typeof created === "number" ? created : now,
    readiness,
    availableSinceMs,
    drainingSinceMs: msOf(tagOf(tags, TAG.draining)),
    connections: Number.isFinite(connAt) ? Math.round(conn.get(connAt)!) : null,
    cpu: m.get(`cpu${i}`) ?? new Map(),
  };
}

/**
 * The minute whose readers' average to publish: the latest before `minute` at which every replica
 * that was in the record then (judged by when each joined) has a CPU point, if later than the last
 * published one. Null when there is none (no replica served, or data not in yet).
 */
function minuteToPublish(
  served: Replica[],
  minute: number,
  lastPublished: number | null,
): { atMs: number; cpus: number[] } | null {
  for (let t = minute - MINUTE_MS; t >= minute - 5 * MINUTE_MS; t -= MINUTE_MS) {
    if (lastPublished !== null && t <= lastPublished) return null;
    const joined = served.filter(
      (r) => r.availableSinceMs !== null && r.availableSinceMs + SETTLE_MINUTES * MINUTE_MS <= t,
    );
    if (joined.length === 0) return null;
    if (joined.every((r) => r.cpu.has(t))) return { atMs: t, cpus: joined.map((r) => r.cpu.get(t)!) };
  }
  return null;
}

/**
 * One run at `nowMs` (the scheduled minute): measure, keep the reader record true, decide, act,
 * remember. `emit` gets each thing it does and decides, as the local runner's events.
 */
export async function controllerStep(
  aws: ControllerAws,
  cfg: ControllerConfig,
  nowMs: number,
  emit: (e: RunnerEvent) => void,
): Promise<StepResult> {
  const minute = minuteOf(nowMs);
  const at = new Date(nowMs).toISOString();
  const say = (kind: RunnerEvent["kind"], message: string, data?: Record<string, unknown>) =>
    emit({ at, kind, message, ...(data ? { data } : {}) });
  const { primary, replicas: all } = await readDatabase(aws, cfg.identifier);
  if (!primary || !PRIMARY_OK.has(primary.DBInstanceStatus ?? "")) {
    const why = primary
      ? `${cfg.identifier} is ${primary.DBInstanceStatus}`
      : `${cfg.identifier} does not exist`;
    say("step", `${why}: nothing to decide.`);
    return { at, decision: null, metric: null, members: [] };
  }
  const insts = all.filter((r) => r.DBInstanceStatus !== "deleting");
  const d = { [cfg.metric.dimension]: cfg.identifier };
  const rds = (metric: string, id: string) => ({
    namespace: "AWS/RDS",
    metric,
    dimensions: { DBInstanceIdentifier: id },
  });
  const series = await readSeries(
    aws,
    [
      ...insts.flatMap((r, i) => [
        { id: `cpu${i}`, ...rds("CPUUtilization", r.DBInstanceIdentifier!), stat: "Average" as const },
        { id: `lag${i}`, ...rds("ReplicaLag", r.DBInstanceIdentifier!), stat: "Maximum" as const },
        { id: `conn${i}`, ...rds("DatabaseConnections", r.DBInstanceIdentifier!), stat: "Average" as const },
      ]),
      { id: "wal", ...rds("TransactionLogsGeneration", cfg.identifier), stat: "Average" },
      { id: "avg", namespace: cfg.metric.namespace, metric: cfg.metric.name, dimensions: d, stat: "Average" },
      {
        id: "n",
        namespace: cfg.metric.namespace,
        metric: cfg.metric.name,
        dimensions: d,
        stat: "SampleCount",
      },
    ],
    minute - 35 * MINUTE_MS,
    minute,
  );
  const replicas = insts.map((r, i) => see(cfg, r, nowMs, series, i));
  const live = await readRecord(aws, cfg.zoneId, cfg.readerHost);

  // The metric of the latest complete minute, over the replicas the record held.
  const avg = series.get("avg") ?? new Map();
  const count = series.get("n") ?? new Map();
  const served = replicas.filter((r) => live.some((e) => e.setId === r.id && e.weight > 0));
  const lastPublished = avg.size ? Math.max(...avg.keys()) : null;
  const point = minuteToPublish(served, minute, lastPublished);
  let metric: StepResult["metric"] = null;
  if (point) {
    await publishAverage(aws, cfg.metric, cfg.identifier, point.atMs, point.cpus);
    const mean = point.cpus.reduce((a, b) => a + b, 0) / point.cpus.length;
    avg.set(point.atMs, mean);
    count.set(point.atMs, point.cpus.length);
    metric = { atMs: point.atMs, cpuPercent: Math.round(mean * 100) / 100, readyReplicas: point.cpus.length };
  }
  const history: MetricPoint[] = [...avg.keys()]
    .sort((a, b) => a - b)
    .map((t) => ({ atMs: t, cpuPercent: avg.get(t)!, readyReplicas: count.get(t) ?? 1 }));

  let memory = readMemory(primary.TagList ?? []);
  // Replicas being removed (draining) and broken ones are neither capacity nor on their way.
  const leaving = (r: Replica) =>
    r.drainingSinceMs !== null || (r.madeByAutoscaler && BROKEN.has(r.inst.DBInstanceStatus ?? ""));
  const views: ReplicaView[] = replicas
    .filter((r) => !leaving(r))
    .map((r) => ({
      id: r.id,
      state: r.readiness.ready ? "ready" : "creating",
      createdByAutoscaler: r.madeByAutoscaler,
      connections: r.connections,
      createdAtMs: r.createdAtMs,
    }));
  const decision: Decision = POLICIES.ebdb({
    nowMs: minute,
    config: { ...cfg.policy, provisionMinutes: memory.provisionMinutes ?? cfg.policy.provisionMinutes },
    replicas: views,
    history,
    lastScaleOutAt: msOf(memory.lastScaleOutAt),
    lastScaleInAt: msOf(memory.lastScaleInAt),
  });
  const record = decisionRecord(decision, views.length, nowMs);
  say("step", stepLine(metric, record), { metric, decision: record });

  // The record: the ready replicas, less those leaving now; the primary at weight 0 when none.
  const removing = new Set(decision.action === "remove" ? decision.remove : []);
  const members = replicas.filter((r) => r.readiness.ready && !leaving(r) && !removing.has(r.id));
  const wanted: ReaderEntry[] = [
    ...members.map((r) => ({ setId: r.id, target: r.inst.Endpoint?.Address ?? "", weight: 1 })),
    { setId: FALLBACK_ID, target: primary.Endpoint?.Address ?? "", weight: 0 },
  ].filter((e) => e.target);
  const changes = recordChanges(live, wanted, cfg.readerHost, cfg.ttl);
  if (changes.length > 0) {
    await changeRecord(aws, cfg.zoneId, changes, `ebdb autoscaler, ${at}`);
    const before = new Set(served.map((r) => r.id));
    const now = new Set(members.map((r) => r.id));
    const joined = [...now].filter((n) => !before.has(n));
    const left = [...before].filter((n) => !now.has(n));
    const why = (n: string) =>
      removing.has(n) ? "being removed" : (replicas.find((r) => r.id === n)?.readiness.why ?? "gone");
    const parts = [...joined.map((n) => `+ ${n} (${why(n)})`), ...left.map((n) => `- ${n} (${why(n)})`)];
    if (parts.length > 0)
      say(
        "reader",
        `Reader record: ${parts.join(", ")}; now ${now.size ? [...now].join(", ") : "no replica (new connections go to the primary)"}.`,
        { joined, left, members: [...now] },
      );
  }

  memory = { ...memory, lastStepAt: at, desired: record.desired };
  memory = await syncReplicaTags(aws, replicas, members, nowMs, memory, say);
  memory = await deleteDrained(aws, replicas, nowMs, memory, say);
  memory = await actOnDecision(aws, cfg, decision, record, replicas, primary, nowMs, memory, say);
  await writeMemory(aws, primary, memory);
  return { at, decision: record, metric, members: members.map((r) => r.id) };
}
