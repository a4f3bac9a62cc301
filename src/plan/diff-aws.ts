import type { Change, Plan } from "../model/change.js";
import type { Observed } from "../model/observed.js";
import { coupledNote, decoupleMakes, madeByDecouple, refuseWhileCoupled } from "./coupled.js";
import type { DiffContext } from "./diff-context.js";
import { orderChanges } from "./order.js";

function key(c: Change): string {
  return `${c.kind}|${c.resource}|${c.field ?? ""}|${c.action}`;
}

/**
 * The AWS target's drift (`observed.drift`: secret content, security-group rules, alarm settings, EB
 * property values, pending reboots) that the generic comparisons did not already plan. Call from diff
 * before ordering. Pure.
 */
export function diffAws(ctx: DiffContext): void {
  for (const r of ctx.observed.refused ?? []) {
    if (!ctx.refused.some((x) => key(x) === key(r))) ctx.refused.push(r);
  }
  mergeDrift(ctx);
  // A database EB made in an environment's stack: changing it outside EB breaks EB's next updates.
  const coupled = ctx.observed.coupled;
  const id = ctx.observed.primary?.name;
  if (coupled && id) {
    const note = coupledNote(id, coupled);
    if (!ctx.notes.includes(note)) ctx.notes.push(note);
    // What decouple itself makes is its to make, not a change refused; the rest waits for it.
    const own = ctx.changes.filter(madeByDecouple);
    if (own.length > 0) ctx.notes.push(decoupleMakes(own));
    ctx.refused.push(
      ...ctx.changes.filter((c) => !madeByDecouple(c)).map((c) => refuseWhileCoupled(id, coupled, c)),
    );
    ctx.changes.length = 0;
  }
}

function mergeDrift(ctx: DiffContext): void {
  const drift = ctx.observed.drift ?? [];
  if (drift.length === 0) return;
  const planned = new Set(ctx.changes.map(key));
  // A stopped node the plan deletes is not started first.
  const deleted = new Set(ctx.changes.filter((c) => c.action === "delete").map((c) => c.resource));
  const ebPlanned = ctx.changes.find((c) => c.kind === "eb-environment" && c.field === "properties");
  for (const c of drift) {
    if (planned.has(key(c))) continue;
    if (c.field === "state" && deleted.has(c.resource)) continue;
    // One EB update sets every property: values it also corrects join its line.
    if (c.kind === "eb-environment" && ebPlanned) {
      if (c.field === "propertyValues" && Array.isArray(c.to))
        ebPlanned.reason = `${ebPlanned.reason}; it also corrects ${c.to.join(", ")}`;
      continue;
    }
    ctx.changes.push(c);
    planned.add(key(c));
  }
}

/** The same merge on a finished plan (for callers that hold a plan from `diff`), re-ordered. */
export function withAwsDrift(plan: Plan, observed: Observed): Plan {
  const ctx: DiffContext = {
    desired: undefined as never,
    observed,
    now: new Date(0),
    allowReplace: false,
    changes: [...plan.changes],
    refused: [...plan.refused],
    notes: [...plan.notes],
  };
  diffAws(ctx);
  return { ...plan, changes: orderChanges(ctx.changes), refused: orderChanges(ctx.refused) };
}
