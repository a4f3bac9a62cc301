import { type Change, IMPACT_ORDER, type Impact, type Plan, worstImpact } from "../model/change.js";
import { show } from "./diff-context.js";

const SIGN: Record<Change["action"], string> = { create: "+", update: "~", delete: "-" };

export interface PlanSummary {
  create: number;
  change: number;
  delete: number;
  refused: number;
  /** Resources by their worst impact beyond none, e.g. { failover: 1 }. */
  impacts: Partial<Record<Impact, number>>;
}

interface Group {
  resource: string;
  kind: Change["kind"];
  action: Change["action"];
  changes: Change[];
}

/** Changes grouped by resource (and action), in plan order. */
function group(changes: readonly Change[]): Group[] {
  const groups: Group[] = [];
  for (const c of changes) {
    const g = groups.find((x) => x.resource === c.resource && x.kind === c.kind && x.action === c.action);
    if (g) g.changes.push(c);
    else groups.push({ resource: c.resource, kind: c.kind, action: c.action, changes: [c] });
  }
  return groups;
}

/** Counts resources to create, change and delete (a resource with several updates counts once, at its worst impact). */
export function summarize(plan: Plan): PlanSummary {
  const s: PlanSummary = {
    create: 0,
    change: 0,
    delete: 0,
    refused: group(plan.refused).length,
    impacts: {},
  };
  for (const g of group(plan.changes)) {
    s[g.action === "update" ? "change" : g.action]++;
    const worst = worstImpact(g.changes.map((c) => c.impact));
    if (worst !== "none") s.impacts[worst] = (s.impacts[worst] ?? 0) + 1;
  }
  return s;
}

/** "3 to create, 1 to change (1 failover), 0 to delete" (and ", 1 refused" when some are). */
export function summaryLine(plan: Plan): string {
  const s = summarize(plan);
  const impacts = IMPACT_ORDER.filter((i) => s.impacts[i])
    .reverse()
    .map((i) => `${s.impacts[i]} ${i}`);
  const detail = impacts.length > 0 ? ` (${impacts.join(", ")})` : "";
  const refused = s.refused > 0 ? `, ${s.refused} refused` : "";
  return `${s.create} to create, ${s.change} to change${detail}, ${s.delete} to delete${refused}`;
}

function badge(impact: Impact): string {
  return impact === "none" ? "" : `  [${impact}]`;
}

function changeLines(g: Group, indent: string): string[] {
  const lines: string[] = [];
  for (const c of g.changes) {
    if (c.field !== undefined) {
      const arrow = c.from === undefined ? show(c.to) : `${show(c.from)} → ${show(c.to)}`;
      lines.push(`${indent}${c.field}: ${arrow}${badge(c.impact)}`);
      lines.push(`${indent}  ${c.reason}`);
    } else {
      lines.push(`${indent}${c.reason}${badge(c.impact)}`);
    }
  }
  return lines;
}

/**
 * The plan as a person reads it: each resource with its changes (from → to, impact badges, the
 * reason), then what ebdb refuses to do and why, the notes, and a summary line.
 */
export function explainPlan(plan: Plan, opts: { identifier?: string } = {}): string[] {
  const lines: string[] = [];
  const what = opts.identifier ? ` for ${opts.identifier}` : "";
  if (plan.changes.length === 0 && plan.refused.length === 0) {
    lines.push(
      `No changes${what} (${plan.target}): the ${plan.target === "aws" ? "resources match" : "database matches"} the configuration.`,
    );
  } else {
    lines.push(`Plan${what} (${plan.target}):`, "");
    for (const g of group(plan.changes)) {
      lines.push(`  ${SIGN[g.action]} ${g.kind} ${g.resource}`);
      lines.push(...changeLines(g, "      "));
    }
    if (plan.refused.length > 0) {
      lines.push("", "Refused (ebdb will not do these):");
      for (const g of group(plan.refused)) {
        lines.push(`  ✗ ${g.kind} ${g.resource}`);
        lines.push(...changeLines(g, "      "));
      }
    }
  }
  if (plan.notes.length > 0) {
    lines.push("", "Notes:");
    for (const n of plan.notes) lines.push(`  • ${n}`);
  }
  lines.push("", `${summaryLine(plan)}.`);
  return lines;
}
