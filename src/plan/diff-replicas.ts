import { desiredReplica, replicaIndex, replicaName } from "../model/desired.js";
import type { DesiredInstance } from "../model/desired-types.js";
import type { ObservedInstance } from "../model/observed.js";
import type { DiffContext } from "./diff-context.js";
import { diffInstance } from "./diff-instance.js";

/**
 * How many replicas should run. DB_READ_REPLICA_COUNT is the count to create; when replica
 * autoscaling is on (min < max) a running count within [min, max] is the autoscaler's business and
 * stays, and one outside is brought back into the range. With no replica running, the configured count.
 */
export function replicaTarget(ctx: DiffContext, running: number): number {
  const cfg = ctx.desired.config.replicas;
  const count = ctx.desired.config.replicas.enabled ? ctx.desired.replicas.length : 0;
  if (!cfg.enabled) return 0;
  const autoscaling = cfg.min < cfg.max;
  if (!autoscaling || running === 0 || ctx.observed.primary === null) return count;
  return Math.min(Math.max(running, cfg.min), cfg.max);
}

function replicaFor(ctx: DiffContext, n: number): DesiredInstance {
  const name = replicaName(ctx.desired.identifier, n);
  return (
    ctx.desired.replicas.find((r) => r.name === name) ??
    desiredReplica(ctx.desired.config, ctx.desired.target, n)
  );
}

/**
 * Creates, removes and compares read replicas. Returns the replicas there will be (for their
 * lag alarms) and whether any endpoint appears or disappears (for the EB wiring).
 */
export function diffReplicas(ctx: DiffContext): { names: string[]; endpointsChanged: boolean } {
  const id = ctx.desired.identifier;
  const primaryName = ctx.observed.primary?.name ?? id;
  const ours: { n: number; have: ObservedInstance }[] = [];
  for (const r of ctx.observed.replicas) {
    const n = r.replicaIndex ?? replicaIndex(id, r.name);
    if (n === null || (r.sourceName !== null && r.sourceName !== primaryName && r.sourceName !== id)) {
      ctx.notes.push(
        `${r.name} is a replica ebdb did not make (or of another source); the plan leaves it alone.`,
      );
      continue;
    }
    ours.push({ n, have: r });
  }
  ours.sort((a, b) => a.n - b.n);

  const target = replicaTarget(ctx, ours.length);
  const cfg = ctx.desired.config.replicas;
  if (cfg.enabled && cfg.min < cfg.max && ours.length > 0 && target === ours.length && target !== cfg.count) {
    ctx.notes.push(
      `${ours.length} read replica(s) run; autoscaling keeps between ${cfg.min} and ${cfg.max}, so DB_READ_REPLICA_COUNT=${cfg.count} (the initial count) changes nothing. Use ebdb replica add|remove to change it by hand.`,
    );
  }
  const keep = ours.slice(0, target);
  const remove = ours.slice(target).reverse();
  for (const { n, have } of keep) diffInstance(ctx, replicaFor(ctx, n), have);

  const used = new Set(keep.map((k) => k.n));
  const created: number[] = [];
  for (let n = 1; keep.length + created.length < target; n++) {
    if (used.has(n) || remove.some((r) => r.n === n)) continue;
    created.push(n);
  }
  const single = ctx.observed.primary && !ctx.observed.primary.multiAz;
  for (const n of created) {
    const want = replicaFor(ctx, n);
    ctx.changes.push({
      resource: want.name,
      kind: "replica",
      action: "create",
      to: { instanceClass: want.instanceClass, source: id },
      impact: "none",
      reason: `Creates read replica ${want.name} (${want.instanceClass}) of ${id}${
        single ? "; the Single-AZ primary's I/O pauses briefly while RDS snapshots it" : ""
      }`,
    });
  }
  const left = keep.length + created.length;
  for (const { have } of remove) {
    ctx.changes.push({
      resource: have.name,
      kind: "replica",
      action: "delete",
      impact: "none",
      reason: `Deletes read replica ${have.name}: a replica holds no data of its own; ${
        left > 0
          ? "reads sent to it fail over to the others"
          : "no replica is left, so reads sent to it fail (send them to the primary)"
      }`,
    });
  }
  const names = [...keep.map((k) => k.have.name), ...created.map((n) => replicaName(id, n))];
  return { names, endpointsChanged: created.length > 0 || remove.length > 0 };
}
