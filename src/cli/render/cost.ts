import type { CostEstimate } from "../../cost/estimate.js";

const money = (x: number | null) => (x === null ? "n/a" : `$${x.toFixed(2)}`);

function range(min: number | null, max: number | null): string {
  return min === max ? money(min) : `${money(min)} – ${money(max)}`;
}

/** The estimate as a text table (item, detail, monthly cost or range), the total, and what it assumes. */
export function costLines(e: CostEstimate, title: string): string[] {
  const rows = e.lines.map((l) => [l.item, range(l.monthlyMin, l.monthlyMax), l.detail]);
  const head = ["Item", "Per month", "Detail"];
  const total = ["Total", range(e.total.min, e.total.max), ""];
  const w = [0, 1].map((i) => Math.max(head[i].length, total[i].length, ...rows.map((r) => r[i].length)));
  const row = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2]}`.trimEnd();
  const rule = `${"-".repeat(w[0])}  ${"-".repeat(w[1])}  ${"-".repeat(6)}`;
  const lines = [
    title,
    `${e.currency}, ${e.priceRegion} on-demand list prices of ${e.priceDate}, ${e.hoursPerMonth} h/month`,
    "",
    row(head),
    rule,
    ...rows.map(row),
    rule,
    row(total),
  ];
  if (e.unpriced.length > 0) {
    lines.push("", "Not in the total:");
    for (const u of e.unpriced) lines.push(`  - ${u}`);
  }
  lines.push("", "Assumptions:");
  for (const a of e.assumptions) lines.push(`  - ${a}`);
  return lines;
}
