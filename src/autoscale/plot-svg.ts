import type { SimulationResult, TimelineRow } from "./simulate.js";

export interface PlotOptions {
  title: string;
  replicaVcpus: number;
  targetCpuPercent: number;
  maxCapacity: number;
}

const W = 1000;
const LEFT = 64;
const RIGHT = 24;
const TOP = 78;
const LOAD_H = 270;
const GAP = 40;
const REPLICAS_H = 120;
const BOTTOM = 44;
const H = TOP + LOAD_H + GAP + REPLICAS_H + BOTTOM;

const COLOR = {
  demand: "#1d3557",
  capacity: "#2a9d8f",
  capacityFill: "#2a9d8f",
  target: "#2a9d8f",
  saturated: "#e63946",
  ready: "#2a9d8f",
  provisioning: "#f4a261",
  scaleOut: "#1b7f3b",
  scaleIn: "#c1440e",
  grid: "#e5e5e5",
  axis: "#555",
  text: "#222",
};

const n1 = (x: number) => (Math.round(x * 10) / 10).toString();
const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A round axis maximum and step for values up to `max`. */
function niceScale(max: number, ticks: number): { top: number; step: number } {
  const raw = Math.max(max, 1e-9) / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step - 1e-9) * step || step, step };
}

/** Minutes between x-axis ticks, and how to label a tick. */
function timeTicks(span: number): { every: number; label: (m: number) => string } {
  if (span <= 180) return { every: 30, label: (m) => `${m}` };
  const hours = [1, 2, 3, 4, 6, 12, 24].find((h) => span / (60 * h) <= 12) ?? 48;
  return { every: hours * 60, label: (m) => `${m / 60}h` };
}

/**
 * The simulated run as a self-contained SVG: on top, demand against the ready capacity (saturated
 * minutes in red, the target's load as a dashed line); below, the replicas ready and provisioning,
 * with a marker at each scale-out (up) and scale-in (down). Plain SVG text, no script, no fonts to load.
 */
export function renderPlot(result: SimulationResult, opts: PlotOptions): string {
  const rows = result.timeline;
  const first = rows[0]?.minute ?? 0;
  const span = Math.max(1, rows.length);
  const plotW = W - LEFT - RIGHT;
  const x = (i: number) => LEFT + (i / span) * plotW;
  const v = opts.replicaVcpus;
  const loadMax = Math.max(...rows.map((r) => Math.max(r.demand_vcpu, (r.ready + r.provisioning) * v)), v);
  const load = niceScale(loadMax * 1.05, 5);
  const yLoad = (vcpu: number) => TOP + LOAD_H - (vcpu / load.top) * LOAD_H;
  const repTop = TOP + LOAD_H + GAP;
  const repMax = Math.max(opts.maxCapacity, ...rows.map((r) => r.ready + r.provisioning), 1);
  // Headroom above the maximum for the action markers.
  const rep = niceScale(repMax * 1.15, 5);
  const yRep = (n: number) => repTop + REPLICAS_H - (n / rep.top) * REPLICAS_H;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    // What a screen reader says for the whole image (SVG 2, "The title element").
    `<title>${esc(`${opts.title}: ${summaryLine(result)}`)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${LEFT}" y="24" font-size="17" font-weight="bold" fill="${COLOR.text}">${esc(opts.title)}</text>`,
    `<text x="${LEFT}" y="44" fill="${COLOR.text}">${esc(summaryLine(result))}</text>`,
  );
  legend(out, TOP - 14, LOAD_LEGEND);

  // Grids and axes.
  const ticks = timeTicks(span);
  for (let y = 0; y <= load.top + 1e-9; y += load.step) {
    out.push(gridLine(yLoad(y)), label(LEFT - 8, yLoad(y) + 4, n1(y), "end"));
  }
  for (let n = 0; n <= rep.top + 1e-9; n += rep.step) {
    out.push(gridLine(yRep(n)), label(LEFT - 8, yRep(n) + 4, n1(n), "end"));
  }
  for (let m = 0; m <= span; m += ticks.every) {
    out.push(
      `<line x1="${n1(x(m))}" y1="${TOP}" x2="${n1(x(m))}" y2="${repTop + REPLICAS_H}" stroke="${COLOR.grid}"/>`,
      label(x(m), repTop + REPLICAS_H + 16, ticks.label(m + first), "middle"),
    );
  }
  out.push(
    axisTitle(16, TOP + LOAD_H / 2, "vCPUs"),
    axisTitle(16, repTop + REPLICAS_H / 2, "replicas"),
    label(LEFT + plotW / 2, H - 8, span > 180 ? "time (hours)" : "time (minutes)", "middle"),
  );

  // Top panel: capacity area, saturation, target load, demand.
  out.push(
    `<path d="${stepArea(rows, x, (r) => yLoad(r.ready * v), yLoad(0))}" fill="${COLOR.capacityFill}" fill-opacity="0.16"/>`,
  );
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.demand_vcpu > r.ready * v) {
      out.push(
        `<rect x="${n1(x(i))}" y="${n1(yLoad(r.demand_vcpu))}" width="${n1(x(i + 1) - x(i) + 0.4)}" height="${n1(yLoad(r.ready * v) - yLoad(r.demand_vcpu))}" fill="${COLOR.saturated}" fill-opacity="0.45"/>`,
      );
    }
  }
  const target = opts.targetCpuPercent / 100;
  out.push(
    `<path d="${stepLine(rows, x, (r) => yLoad(r.ready * v * target))}" fill="none" stroke="${COLOR.target}" stroke-width="1" stroke-dasharray="4 3"/>`,
    `<path d="${stepLine(rows, x, (r) => yLoad(r.ready * v))}" fill="none" stroke="${COLOR.capacity}" stroke-width="2"/>`,
    `<path d="${rows.map((r, i) => `${i === 0 ? "M" : "L"}${n1(x(i + 0.5))} ${n1(yLoad(r.demand_vcpu))}`).join("")}" fill="none" stroke="${COLOR.demand}" stroke-width="1.4" stroke-linejoin="round"/>`,
  );

  // Bottom panel: ready and provisioning replicas (stacked), the maximum, and the actions.
  legend(out, repTop - 14, REPLICA_LEGEND);
  out.push(
    `<path d="${stepArea(rows, x, (r) => yRep(r.ready + r.provisioning), yRep(0))}" fill="${COLOR.provisioning}" fill-opacity="0.55"/>`,
    `<path d="${stepArea(rows, x, (r) => yRep(r.ready), yRep(0))}" fill="${COLOR.ready}" fill-opacity="0.75"/>`,
    `<line x1="${LEFT}" y1="${n1(yRep(opts.maxCapacity))}" x2="${W - RIGHT}" y2="${n1(yRep(opts.maxCapacity))}" stroke="${COLOR.axis}" stroke-dasharray="2 3"/>`,
    label(W - RIGHT - 4, yRep(opts.maxCapacity) - 4, `max ${opts.maxCapacity}`, "end"),
  );
  for (let i = 0; i < rows.length; i++) {
    const a = rows[i].action;
    if (!a) continue;
    const cx = x(i + 0.5);
    const cy = yRep(rows[i].ready + rows[i].provisioning);
    out.push(
      a.kind === "scale-out"
        ? `<path d="M${n1(cx)} ${n1(cy - 13)}l5 8h-10z" fill="${COLOR.scaleOut}"><title>minute ${rows[i].minute}: +${a.count}</title></path>`
        : `<path d="M${n1(cx)} ${n1(cy - 5)}l5 -8h-10z" fill="${COLOR.scaleIn}"><title>minute ${rows[i].minute}: -${a.count}</title></path>`,
    );
  }
  out.push(
    `<rect x="${LEFT}" y="${TOP}" width="${plotW}" height="${LOAD_H}" fill="none" stroke="${COLOR.axis}"/>`,
    `<rect x="${LEFT}" y="${repTop}" width="${plotW}" height="${REPLICAS_H}" fill="none" stroke="${COLOR.axis}"/>`,
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}

function summaryLine(r: SimulationResult): string {
  const s = r.summary;
  return `${s.saturated_minutes} saturated min · ${s.over_target_minutes} min over target · ${s.replica_hours} replica-hours · ${s.scale_out_actions} scale-outs · ${s.scale_in_actions} scale-ins`;
}

/** A row of legend items (mark, label) from x = LEFT at height y. */
function legend(out: string[], y: number, items: Array<[string, string]>): void {
  let cx = LEFT;
  for (const [mark, text] of items) {
    out.push(
      `<g transform="translate(${cx} ${y})">${mark}<text x="24" y="4" fill="${COLOR.text}">${text}</text></g>`,
    );
    cx += 44 + text.length * 7;
  }
}

const LOAD_LEGEND: Array<[string, string]> = [
  [`<line x1="0" y1="0" x2="18" y2="0" stroke="${COLOR.demand}" stroke-width="2"/>`, "demand"],
  [`<line x1="0" y1="0" x2="18" y2="0" stroke="${COLOR.capacity}" stroke-width="2"/>`, "ready capacity"],
  [
    `<line x1="0" y1="0" x2="18" y2="0" stroke="${COLOR.target}" stroke-dasharray="4 3"/>`,
    "load at target CPU",
  ],
  [`<rect x="0" y="-6" width="18" height="12" fill="${COLOR.saturated}" fill-opacity="0.45"/>`, "saturated"],
];
const REPLICA_LEGEND: Array<[string, string]> = [
  [`<rect x="0" y="-6" width="18" height="12" fill="${COLOR.ready}" fill-opacity="0.75"/>`, "replicas ready"],
  [
    `<rect x="0" y="-6" width="18" height="12" fill="${COLOR.provisioning}" fill-opacity="0.55"/>`,
    "provisioning",
  ],
  [`<path d="M9 -6l5 8h-10z" fill="${COLOR.scaleOut}"/>`, "scale-out"],
  [`<path d="M9 4l5 -8h-10z" fill="${COLOR.scaleIn}"/>`, "scale-in"],
];

const gridLine = (y: number) =>
  `<line x1="${LEFT}" y1="${n1(y)}" x2="${W - RIGHT}" y2="${n1(y)}" stroke="${COLOR.grid}"/>`;
const label = (x: number, y: number, text: string, anchor: "start" | "middle" | "end") =>
  `<text x="${n1(x)}" y="${n1(y)}" text-anchor="${anchor}" fill="${COLOR.axis}">${esc(text)}</text>`;
const axisTitle = (x: number, y: number, text: string) =>
  `<text transform="translate(${x} ${n1(y)}) rotate(-90)" text-anchor="middle" fill="${COLOR.axis}">${text}</text>`;

/** A step line through each minute's value. */
function stepLine(rows: TimelineRow[], x: (i: number) => number, y: (r: TimelineRow) => number): string {
  let d = "";
  let prev = Number.NaN;
  rows.forEach((r, i) => {
    const yy = n1(y(r));
    if (i === 0) d += `M${n1(x(0))} ${yy}`;
    else if (yy !== n1(prev)) d += `H${n1(x(i))}V${yy}`;
    prev = y(r);
  });
  return `${d}H${n1(x(rows.length))}`;
}

/** The area under a step line, down to `base`. */
function stepArea(
  rows: TimelineRow[],
  x: (i: number) => number,
  y: (r: TimelineRow) => number,
  base: number,
): string {
  return `${stepLine(rows, x, y)}V${n1(base)}H${n1(x(0))}Z`;
}
