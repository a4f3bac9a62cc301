import { userError } from "../errors.js";

/** One minute of a load trace: the readers' total CPU demand, in vCPUs. */
export interface TracePoint {
  minute: number;
  demandVcpu: number;
}

export const TRACE_HEADER = "minute,demand_vcpu";
const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a trace: CSV with the header `minute,demand_vcpu`, then one row per minute, the minutes whole
 * numbers each one after the one before, the demand a number >= 0. Blank lines are ignored; CRLF is
 * accepted. Throws a user error (exit 2) naming `label`:line, what is wrong and how to fix it.
 */
export function parseTrace(text: string, label: string): TracePoint[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const bad = (line: number, what: string, hint: string) =>
    userError("BAD_TRACE", `${label}:${line}: ${what}`, hint, { file: label, line });
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0)
    throw bad(1, "the trace is empty", `Start it with the header ${TRACE_HEADER}, then one row per minute.`);
  if (lines[first].trim().replace(/\s*,\s*/g, ",") !== TRACE_HEADER) {
    throw bad(first + 1, `the header is "${lines[first].trim()}"`, `The first line must be ${TRACE_HEADER}.`);
  }
  const points: TracePoint[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    const cells = raw.split(",").map((c) => c.trim());
    if (cells.length !== 2) {
      throw bad(i + 1, `"${raw}" has ${cells.length} fields`, "Each row is minute,demand_vcpu, e.g. 12,3.5");
    }
    const [m, d] = cells;
    if (!/^\d+$/.test(m)) throw bad(i + 1, `minute "${m}" is not a whole number`, "Minutes are 0, 1, 2, ...");
    const minute = Number(m);
    const prev = points.at(-1);
    if (prev && minute !== prev.minute + 1) {
      throw bad(
        i + 1,
        `minute ${minute} follows minute ${prev.minute}`,
        `Give every minute, in order: the row after ${prev.minute} is ${prev.minute + 1}.`,
      );
    }
    if (!NUMBER.test(d)) {
      throw bad(i + 1, `demand_vcpu "${d}" is not a number >= 0`, "Give the demand in vCPUs, e.g. 3.5");
    }
    points.push({ minute, demandVcpu: Number(d) });
  }
  if (points.length === 0)
    throw bad(first + 1, "the trace has a header but no rows", "Add one row per minute: minute,demand_vcpu");
  return points;
}

/** A trace as CSV text (what parseTrace reads). */
export function formatTrace(points: readonly TracePoint[]): string {
  return `${TRACE_HEADER}\n${points.map((p) => `${p.minute},${+p.demandVcpu.toFixed(3)}`).join("\n")}\n`;
}
