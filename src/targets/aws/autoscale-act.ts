import {
  AddTagsToResourceCommand,
  CreateDBInstanceReadReplicaCommand,
  type DBInstance,
  DeleteDBInstanceCommand,
  RemoveTagsFromResourceCommand,
} from "@aws-sdk/client-rds";
import { MINUTE_MS } from "../../autoscale/common.js";
import type { DecisionRecord, RunnerEvent } from "../../autoscale/runner-types.js";
import type { Decision } from "../../autoscale/types.js";
import type { ControllerConfig } from "./autoscale-controller.js";
import { type ControllerAws, replicaId, replicaNumber, type Series } from "./autoscale-io.js";
import { CREATED_BY_AUTOSCALER, CREATED_BY_TAG } from "./autoscale-names.js";
import type { Readiness } from "./autoscale-readiness.js";
import {
  escapeTag,
  memoryTags,
  type RunnerMemory,
  TAG,
  tagOf,
  unescapeTag,
  withActivity,
  withDecision,
} from "./autoscale-tags.js";
import { replicaZone } from "./zones.js";

/** One replica as a run sees it. */
export interface Replica {
  id: string;
  inst: DBInstance;
  tags: { Key?: string; Value?: string }[];
  madeByAutoscaler: boolean;
  createdAtMs: number;
  readiness: Readiness;
  availableSinceMs: number | null;
  drainingSinceMs: number | null;
  connections: number | null;
  /** CPUUtilization by minute. */
  cpu: Series;
}

type Say = (kind: RunnerEvent["kind"], message: string, data?: Record<string, unknown>) => void;

/** Seconds a removed replica stays out of the record before it is deleted (connections finish). */
export const DRAIN_SECONDS = 60;
/** Statuses a replica does not come back from: one the runner made is removed. */
export const BROKEN = new Set([
  "failed",
  "incompatible-parameters",
  "incompatible-restore",
  "incompatible-network",
  "storage-full",
]);

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const iso = (ms: number) => new Date(ms).toISOString();

/** Sets or replaces tags on an instance (one call). */
async function tag(aws: ControllerAws, inst: DBInstance, tags: { Key: string; Value: string }[]) {
  if (tags.length === 0 || !inst.DBInstanceArn) return;
  await aws.rds(new AddTagsToResourceCommand({ ResourceName: inst.DBInstanceArn, Tags: tags }));
}

/** The activity about `replica` still in progress, updated. */
function finish(m: RunnerMemory, replica: string, ok: boolean, msg: string, at: string): RunnerMemory {
  const a = [...m.activities].reverse().find((x) => x.replica === replica && x.statusCode === "InProgress");
  if (!a) return m;
  return {
    ...m,
    activities: m.activities.map((x) =>
      x === a ? { ...x, statusCode: ok ? "Successful" : "Failed", endTime: at, statusMessage: msg } : x,
    ),
  };
}

/**
 * Each replica's tags: when it was first available and caught up (its settling starts), and why it is
 * in the record or not (written only when it changes). A replica the runner made that joins the
 * record ends its "Adding" activity, and its time from creation is the policy's provisioning time.
 */
export async function syncReplicaTags(
  aws: ControllerAws,
  replicas: Replica[],
  members: Replica[],
  nowMs: number,
  memory: RunnerMemory,
  say: Say,
): Promise<RunnerMemory> {
  let m = memory;
  const minute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  await Promise.all(
    replicas.map(async (r) => {
      const put: { Key: string; Value: string }[] = [];
      if (r.readiness.caughtUp && r.availableSinceMs === null)
        put.push({ Key: TAG.availableSince, Value: iso(minute) });
      const member = members.includes(r);
      const why = r.drainingSinceMs !== null ? "being removed" : r.readiness.why;
      if (unescapeTag(tagOf(r.tags, TAG.why) ?? "") !== why)
        put.push({ Key: TAG.why, Value: escapeTag(why) });
      await tag(aws, r.inst, put);
      const adding = m.activities.some(
        (a) => a.replica === r.id && a.statusCode === "InProgress" && a.description.startsWith("Adding"),
      );
      if (member && adding) {
        const minutes = Math.max(1, Math.round((nowMs - r.createdAtMs) / MINUTE_MS));
        m = finish(
          m,
          r.id,
          true,
          `${r.id} joined the reader record ${minutes} min after it was asked for.`,
          iso(nowMs),
        );
        m = { ...m, provisionMinutes: minutes };
        say(
          "warmed",
          `${r.id} is ready (${r.readiness.why}) and joined the reader record, ${minutes} min after it was asked for.`,
          {
            replica: r.id,
            minutes,
          },
        );
      }
    }),
  );
  return m;
}

/** Deletes replicas drained for DRAIN_SECONDS, and broken replicas the runner made. */
export async function deleteDrained(
  aws: ControllerAws,
  replicas: Replica[],
  nowMs: number,
  memory: RunnerMemory,
  say: Say,
): Promise<RunnerMemory> {
  let m = memory;
  for (const r of replicas) {
    const status = r.inst.DBInstanceStatus ?? "";
    const broken = r.madeByAutoscaler && BROKEN.has(status);
    const drained = r.drainingSinceMs !== null && nowMs - r.drainingSinceMs >= DRAIN_SECONDS * 1000;
    if (!broken && !drained) continue;
    if (broken && !drained) {
      m = finish(m, r.id, false, `${r.id} is ${status}.`, iso(nowMs));
      m = withActivity(m, {
        replica: r.id,
        description: `Removing replica ${r.id}`,
        cause: `it is ${status}`,
        startTime: iso(nowMs),
        endTime: null,
        statusCode: "InProgress",
        statusMessage: null,
      });
    }
    try {
      await aws.rds(new DeleteDBInstanceCommand({ DBInstanceIdentifier: r.id, SkipFinalSnapshot: true }));
      m = finish(m, r.id, true, `${r.id} is being deleted.`, iso(nowMs));
      say(
        "scale-in",
        `Deleting ${r.id}${broken ? ` (${status})` : ", out of the reader record since a minute"}.`,
        { replica: r.id },
      );
    } catch (e) {
      m = finish(m, r.id, false, message(e), iso(nowMs));
      say("scaling-failed", `Deleting ${r.id} failed: ${message(e)}`, { replica: r.id });
    }
  }
  return m;
}

/**
 * Carries out the decision. Add: `count` replicas named `<id>-replica-<n>` (the lowest free n), each
 * in the next zone, tagged as the runner's, one after another; the first failure stops the rest (the
 * cooldown runs from the start: the next decision comes after it). Remove: the replicas leave the
 * record now (done by the caller) and are tagged draining; a later run deletes them.
 */
export async function actOnDecision(
  aws: ControllerAws,
  cfg: ControllerConfig,
  decision: Decision,
  record: DecisionRecord,
  replicas: Replica[],
  primary: DBInstance,
  nowMs: number,
  memory: RunnerMemory,
  say: Say,
): Promise<RunnerMemory> {
  let m = withDecision(memory, record);
  const at = iso(nowMs);
  if (decision.action === "add") {
    m = { ...m, lastScaleOutAt: at };
    const used = new Set(replicas.map((r) => replicaNumber(cfg.identifier, r.id)));
    for (let i = 0; i < decision.count; i++) {
      let n = 1;
      while (used.has(n)) n++;
      used.add(n);
      const id = replicaId(cfg.identifier, n);
      const activity = {
        replica: id,
        description: `Adding replica ${id}`,
        cause: decision.reason,
        startTime: at,
        endTime: null,
        statusCode: "InProgress" as const,
        statusMessage: null,
      };
      try {
        await aws.rds(
          new CreateDBInstanceReadReplicaCommand({
            ...(cfg.replica.request as object),
            DBInstanceIdentifier: id,
            SourceDBInstanceIdentifier: cfg.identifier,
            AvailabilityZone: replicaZone(cfg.replica.zones, primary.AvailabilityZone, n - 1),
            Tags: [
              ...cfg.replica.tags,
              { Key: CREATED_BY_TAG, Value: CREATED_BY_AUTOSCALER },
              { Key: TAG.createdAt, Value: at },
            ],
          }),
        );
        m = withActivity(m, activity);
        say(
          "scale-out",
          `Adding ${id}: ${decision.reason}. It joins the reader record once available, caught up and settled.`,
          {
            replica: id,
            reason: decision.reason,
          },
        );
      } catch (e) {
        m = withActivity(m, { ...activity, statusCode: "Failed", endTime: at, statusMessage: message(e) });
        say("scaling-failed", `Adding ${id} failed: ${message(e)}`, { replica: id, reason: decision.reason });
        break;
      }
    }
  }
  if (decision.action === "remove") {
    m = { ...m, lastScaleInAt: at };
    for (const id of decision.remove) {
      const r = replicas.find((x) => x.id === id);
      if (!r?.madeByAutoscaler) continue;
      await tag(aws, r.inst, [{ Key: TAG.draining, Value: at }]);
      m = withActivity(m, {
        replica: id,
        description: `Removing replica ${id}`,
        cause: decision.reason,
        startTime: at,
        endTime: null,
        statusCode: "InProgress",
        statusMessage: `out of the reader record; deleted in ${DRAIN_SECONDS} s, once open connections have had time to finish`,
      });
      say(
        "scale-in",
        `Removing ${id}: ${decision.reason}. Out of the reader record now, deleted in ${DRAIN_SECONDS} s.`,
        {
          replica: id,
          reason: decision.reason,
        },
      );
    }
  }
  return m;
}

/** Stores the memory in the primary's tags (only what changed; slots no longer used are removed). */
export async function writeMemory(aws: ControllerAws, primary: DBInstance, m: RunnerMemory): Promise<void> {
  const { put, remove } = memoryTags(
    (primary.TagList ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" })),
    m,
  );
  await tag(aws, primary, put);
  if (remove.length > 0 && primary.DBInstanceArn)
    await aws.rds(
      new RemoveTagsFromResourceCommand({ ResourceName: primary.DBInstanceArn, TagKeys: remove }),
    );
}
