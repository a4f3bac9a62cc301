import { isWellFormedInstanceClass } from "../config/catalog/instance-classes.js";
import { userError } from "../errors.js";
import type { Impact } from "../model/change.js";
import { storageBlocked } from "../plan/diff-storage.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, notOffered, openDay2 } from "./day2-common.js";

export interface ScaleOptions {
  /** --instance-class */
  instanceClass?: string;
  /** --storage, in GiB */
  storageGiB?: number;
  /** --apply-immediately: now, instead of in the next maintenance window. */
  applyImmediately?: boolean;
  /** A target to use instead of the one the context names (tests). */
  target?: Target;
  /** The clock for the 6-hour storage rule (tests). */
  now?: () => Date;
}

export interface ScaleResult {
  identifier: string;
  instanceClass: { from: string; to: string } | null;
  storageGiB: { from: number; to: number } | null;
  /** What the change costs the running database. */
  impact: Impact;
  /** `now`, `maintenance-window`, or `cancelled` when the confirmation was declined. */
  when: "now" | "maintenance-window" | "cancelled";
}

const MAX_STORAGE_GIB = 65_536;

/**
 * `ebdb scale --instance-class C | --storage GiB [--apply-immediately]`: a new class (a failover on
 * Multi-AZ, announced; an outage otherwise) and/or more storage (only grows, by at least 10%, not
 * within 6 hours of the last storage change). Asks before anything disruptive.
 */
export async function scaleDatabase(ctx: CommandContext, opts: ScaleOptions): Promise<ScaleResult> {
  if (opts.instanceClass === undefined && opts.storageGiB === undefined) {
    throw userError(
      "NOTHING_TO_SCALE",
      "scale needs --instance-class or --storage.",
      "For example: ebdb scale --instance-class db.m5.large",
    );
  }
  if (opts.instanceClass !== undefined && !isWellFormedInstanceClass(opts.instanceClass)) {
    throw userError(
      "BAD_INSTANCE_CLASS",
      `--instance-class ${opts.instanceClass} is not an RDS instance class.`,
      "Use db.<family>.<size>, e.g. db.t3.medium or db.m5.large.",
    );
  }
  if (
    opts.storageGiB !== undefined &&
    (!Number.isInteger(opts.storageGiB) || opts.storageGiB <= 0 || opts.storageGiB > MAX_STORAGE_GIB)
  ) {
    throw userError(
      "BAD_STORAGE",
      `--storage ${opts.storageGiB} is not a size RDS accepts.`,
      `Use a whole number of GiB up to ${MAX_STORAGE_GIB}.`,
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.scale) notOffered(target, "scale", "resize the instance by hand");
  const observed = await target.observe(desired);
  const p = observed.primary;
  if (!p) throw userError("NOT_CREATED", `${desired.identifier} does not exist yet.`, "Run `ebdb up` first.");

  let klass: ScaleResult["instanceClass"] = null;
  if (opts.instanceClass !== undefined) {
    if (opts.instanceClass === p.instanceClass) {
      throw userError("SAME_CLASS", `${desired.identifier} already runs on ${p.instanceClass}.`);
    }
    klass = { from: p.instanceClass, to: opts.instanceClass };
  }
  let storage: ScaleResult["storageGiB"] = null;
  if (opts.storageGiB !== undefined) {
    const have = p.storage.allocatedGiB;
    if (opts.storageGiB <= have) {
      throw userError(
        "STORAGE_ONLY_GROWS",
        `${desired.identifier} has ${have} GiB; RDS storage only grows, never shrinks.`,
        "To use less, restore a snapshot into a new, smaller instance (or dump and restore).",
      );
    }
    const least = Math.ceil(have * 1.1);
    if (opts.storageGiB < least) {
      throw userError(
        "STORAGE_STEP",
        `RDS grows storage by at least 10%: from ${have} GiB to at least ${least} GiB.`,
        `Use --storage ${least} or more.`,
      );
    }
    const blocked = storageBlocked(p, opts.now?.() ?? new Date());
    if (blocked) throw userError("STORAGE_COOLDOWN", `Storage cannot change now: ${blocked}.`);
    storage = { from: have, to: opts.storageGiB };
  }

  const impact: Impact = klass ? (p.multiAz ? "failover" : "outage") : "none";
  await announce(ctx, target, desired);
  if (klass) {
    ctx.io.event({
      type: "warning",
      message: p.multiAz
        ? `${desired.identifier} moves to ${klass.to} by a Multi-AZ failover: RDS resizes the standby, then fails over (about a minute; connections drop).`
        : `${desired.identifier} is unavailable while RDS moves it to ${klass.to} (several minutes: it is Single-AZ).`,
      hint: opts.applyImmediately
        ? undefined
        : `It happens in the next maintenance window (${p.maintenanceWindow} UTC); --apply-immediately does it now.`,
    });
  }
  const what = [klass && `${klass.from} → ${klass.to}`, storage && `${storage.from} → ${storage.to} GiB`]
    .filter(Boolean)
    .join(", ");
  if (impact !== "none") {
    const yes = await ctx.io.confirm({ message: `Scale ${desired.identifier} (${what})?`, impact });
    if (!yes)
      return {
        identifier: desired.identifier,
        instanceClass: klass,
        storageGiB: storage,
        impact,
        when: "cancelled",
      };
  }
  await target.scale(
    desired,
    { instanceClass: klass?.to, storageGiB: storage?.to, applyImmediately: opts.applyImmediately ?? false },
    ctx.io,
  );
  return {
    identifier: desired.identifier,
    instanceClass: klass,
    storageGiB: storage,
    impact,
    when: opts.applyImmediately ? "now" : "maintenance-window",
  };
}
