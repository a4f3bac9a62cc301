import type { Change, ResourceKind } from "../model/change.js";
import type { StorageConfig } from "../model/config.js";
import type { DesiredInstance } from "../model/desired-types.js";
import type { ObservedInstance } from "../model/observed.js";
import { type DiffContext, pushInstanceChange } from "./diff-context.js";

const SIX_HOURS_MS = 6 * 60 * 60 * 1000;

/** gp3's included performance: 3,000 IOPS and 125 MiB/s, or 12,000 and 500 from 400 GiB (RDS stripes the volume). */
export function gp3Baseline(allocatedGiB: number): { iops: number; throughputMiBps: number } {
  return allocatedGiB >= 400 ? { iops: 12_000, throughputMiBps: 500 } : { iops: 3000, throughputMiBps: 125 };
}

/** The least size 10% above `gib` (integer arithmetic: 100 * 1.1 is 110.00000000000001 in floating point). */
function tenPercentAbove(gib: number): number {
  return Math.ceil((gib * 11) / 10);
}

function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Why RDS would reject a storage modification right now, or null. RDS allows one storage
 * modification per six hours, and none while the volume is still being optimized.
 */
export function storageBlocked(have: ObservedInstance, now: Date): string | null {
  if (have.status === "storage-optimization") {
    return "RDS is still optimizing the volume after the last storage change; run up again once it is available (and at least 6 hours after that change)";
  }
  if (have.lastStorageChangeAt) {
    const last = new Date(have.lastStorageChangeAt);
    const allowed = new Date(last.getTime() + SIX_HOURS_MS);
    if (!Number.isNaN(last.getTime()) && now < allowed) {
      return `RDS allows one storage change per 6 hours: the last was at ${utc(last)}, so this is allowed from ${utc(allowed)}`;
    }
  }
  return null;
}

/**
 * The IOPS and throughput to ask RDS for, or null where nothing needs sending. `sizeGiB` is the size the
 * volume has once the plan is applied (storage only grows, by hand or by autoscaling), not the configured
 * starting size. A value the user set is wanted as set. A value left unset means RDS's baseline for
 * that size, which RDS keeps by itself as the volume grows (RDS User Guide, "gp3 storage"): so nothing
 * is sent while the volume is at its baseline, and the baseline is asked for only to undo performance
 * provisioned earlier (which is possible only from 400 GiB, where the baseline is accepted).
 */
export function wantedPerformance(
  s: StorageConfig,
  sizeGiB: number,
  have: { allocatedGiB: number; iops: number | null; throughputMiBps: number | null },
): { iops: number | null; throughputMiBps: number | null } {
  if (s.type !== "gp3") return { iops: s.iops, throughputMiBps: null };
  const now = gp3Baseline(have.allocatedGiB);
  const then = gp3Baseline(sizeGiB);
  return {
    iops: s.iops ?? (have.iops === now.iops ? null : then.iops),
    throughputMiBps:
      s.throughputMiBps ?? (have.throughputMiBps === now.throughputMiBps ? null : then.throughputMiBps),
  };
}

/** What growing a gp3 volume past 400 GiB gives for free (the settings the user left unset), to say in the plan, or "". */
function stripingNote(w: StorageConfig, h: ObservedInstance["storage"]): string {
  if (w.type !== "gp3" || h.type !== "gp3" || w.allocatedGiB < 400 || h.allocatedGiB >= 400) return "";
  const from = gp3Baseline(h.allocatedGiB);
  const to = gp3Baseline(w.allocatedGiB);
  const raised = [
    w.iops === null && `${from.iops.toLocaleString("en-US")} to ${to.iops.toLocaleString("en-US")} IOPS`,
    w.throughputMiBps === null && `${from.throughputMiBps} to ${to.throughputMiBps} MiB/s`,
  ].filter(Boolean);
  return raised.length === 0
    ? ""
    : `; from 400 GiB RDS stripes the gp3 volume, which raises its baseline from ${raised.join(" and from ")}`;
}

/** Compares the storage of one instance: size, type, IOPS, throughput, autoscaling maximum. */
export function diffStorage(
  ctx: DiffContext,
  want: DesiredInstance,
  have: ObservedInstance,
  kind: ResourceKind,
): void {
  const resource = have.name;
  const w = want.storage;
  const h = have.storage;
  const blocked = storageBlocked(have, ctx.now);
  const update = (field: string, from: unknown, to: unknown, reason: string): Change => ({
    resource,
    kind,
    action: "update",
    field,
    from,
    to,
    impact: "none",
    reason,
  });
  const add = (c: Change, canBeBlocked: boolean) => {
    if (canBeBlocked && blocked) ctx.refused.push({ ...c, reason: `${c.reason} — not now: ${blocked}.` });
    else pushInstanceChange(ctx, have, c);
  };

  if (w.allocatedGiB > h.allocatedGiB) {
    const least = tenPercentAbove(h.allocatedGiB);
    const c = update(
      "storage.allocatedGiB",
      h.allocatedGiB,
      w.allocatedGiB,
      `Grows storage from ${h.allocatedGiB} to ${w.allocatedGiB} GiB online, without downtime${stripingNote(w, h)}`,
    );
    if (w.allocatedGiB < least) {
      ctx.refused.push({
        ...c,
        reason: `RDS grows storage by at least 10%: set DB_ALLOCATED_STORAGE to at least ${least} GiB (or leave it at ${h.allocatedGiB}).`,
      });
    } else add(c, true);
  } else if (w.allocatedGiB < h.allocatedGiB) {
    const withinAutoscaling =
      w.autoscaling && (w.maxAllocatedGiB === null || h.allocatedGiB <= w.maxAllocatedGiB);
    if (withinAutoscaling) {
      ctx.notes.push(
        `${resource}: storage autoscaling has grown the volume to ${h.allocatedGiB} GiB; DB_ALLOCATED_STORAGE=${w.allocatedGiB} is only the starting size, so nothing changes.`,
      );
    } else {
      ctx.refused.push(
        update(
          "storage.allocatedGiB",
          h.allocatedGiB,
          w.allocatedGiB,
          `RDS cannot shrink storage: restore a snapshot into a smaller new instance, or dump and restore the data into one; set DB_ALLOCATED_STORAGE to ${h.allocatedGiB} to keep this instance.`,
        ),
      );
    }
  }

  if (w.type !== h.type) {
    add(
      update(
        "storage.type",
        h.type,
        w.type,
        `Changes storage from ${h.type} to ${w.type} online; RDS then optimizes the volume, which can take hours (performance may vary, and no other storage change is possible until it finishes)`,
      ),
      true,
    );
  } else {
    // With a type change the new type's baseline comes with it; compare performance only within one type.
    const exp = wantedPerformance(w, Math.max(w.allocatedGiB, h.allocatedGiB), h);
    if (exp.iops !== null && h.iops !== null && exp.iops !== h.iops) {
      add(
        update(
          "storage.iops",
          h.iops,
          exp.iops,
          `Changes provisioned IOPS from ${h.iops} to ${exp.iops} online`,
        ),
        true,
      );
    }
    if (
      exp.throughputMiBps !== null &&
      h.throughputMiBps !== null &&
      exp.throughputMiBps !== h.throughputMiBps
    ) {
      add(
        update(
          "storage.throughputMiBps",
          h.throughputMiBps,
          exp.throughputMiBps,
          `Changes storage throughput from ${h.throughputMiBps} to ${exp.throughputMiBps} MiB/s online`,
        ),
        true,
      );
    }
  }

  const wantMax = w.autoscaling ? w.maxAllocatedGiB : null;
  if (wantMax !== h.maxAllocatedGiB) {
    const size = Math.max(w.allocatedGiB, h.allocatedGiB);
    const c = update(
      "storage.maxAllocatedGiB",
      h.maxAllocatedGiB,
      wantMax,
      wantMax === null
        ? "Turns storage autoscaling off"
        : h.maxAllocatedGiB === null
          ? `Turns storage autoscaling on, up to ${wantMax} GiB`
          : `Changes the storage autoscaling limit from ${h.maxAllocatedGiB} to ${wantMax} GiB`,
    );
    if (wantMax !== null && wantMax < tenPercentAbove(size)) {
      ctx.refused.push({
        ...c,
        reason: `RDS needs the autoscaling limit at least 10% above the allocated ${size} GiB: set DB_MAX_ALLOCATED_STORAGE to at least ${tenPercentAbove(size)}.`,
      });
    } else pushInstanceChange(ctx, have, c);
  }
}
