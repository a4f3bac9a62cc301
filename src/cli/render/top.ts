import { bytes, clean, duration, pct } from "../../doctor/format.js";
import { DEFAULT_THRESHOLDS, LIMITS } from "../../doctor/thresholds.js";
import type { TopFrame } from "../../doctor/top-frame.js";

type Level = "green" | "yellow" | "red" | "plain";
const SGR: Record<Level, string> = { green: "32", yellow: "33", red: "31", plain: "" };

export interface TopRenderOptions {
  /** Terminal columns: lines are cut to fit (no wrapping, so the screen never scrolls). */
  width: number;
  /** ANSI colours (a terminal without NO_COLOR). */
  color: boolean;
  /** Seconds between refreshes (shown in the title). */
  intervalSeconds: number;
  /** The live view's hint "q quits"; the plain mode has none. */
  live: boolean;
}

/** A bar of `width` cells for a share 0-1 (plain characters: readable over any SSH terminal). */
function bar(share: number, width = 20): string {
  const n = Math.max(0, Math.min(width, Math.round(share * width)));
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

/**
 * The lines of one `ebdb top` screen (pure): a title, CPU, connections, replication, storage and
 * the top queries, each figure coloured by the same limits `doctor` judges by when `color`.
 */
export function topLines(f: TopFrame, o: TopRenderOptions): string[] {
  const paint = (level: Level, text: string) =>
    o.color && level !== "plain" ? `\u001b[${SGR[level]}m${text}\u001b[0m` : text;
  const bold = (text: string) => (o.color ? `\u001b[1m${text}\u001b[0m` : text);
  const time = f.at.slice(11, 19);
  const lines: string[] = [];
  const title = `ebdb top: ${f.identifier} (${f.target}), ${f.instance.role} ${f.instance.name} ${f.instance.state}`;
  lines.push(`${bold(title)}  ${time} UTC, every ${o.intervalSeconds} s${o.live ? ", q quits" : ""}`);
  lines.push("");

  const cpu = f.cpu.percent;
  const cpuLevel: Level =
    cpu === null ? "plain" : cpu >= LIMITS.cpuRed ? "red" : cpu >= LIMITS.cpuYellow ? "yellow" : "green";
  lines.push(
    `CPU          ${cpu === null ? "n/a" : paint(cpuLevel, `${cpu.toFixed(1).padStart(5)}%`)} ${cpu === null ? "" : bar(cpu / 100)}  ${clean(f.cpu.source, 80)}`,
  );

  const c = f.connections;
  if (c) {
    const share = c.max ? c.used / c.max : null;
    const level: Level =
      share === null
        ? "plain"
        : share >= DEFAULT_THRESHOLDS.connectionsRed
          ? "red"
          : share >= DEFAULT_THRESHOLDS.connectionsYellow
            ? "yellow"
            : "green";
    const b = c.breakdown;
    const extra = b
      ? [
          `active ${b.active}`,
          `idle ${b.idle}`,
          `idle in transaction ${b.idleInTransaction}`,
          b.waiting ? paint("yellow", `waiting for a lock ${b.waiting}`) : "waiting for a lock 0",
          b.longQueries ? paint("yellow", `over 5 s ${b.longQueries}`) : null,
        ]
          .filter(Boolean)
          .join(", ")
      : (c.source ?? "");
    lines.push(
      `Connections  ${paint(level, `${String(c.used).padStart(4)} of ${c.max ?? "?"}`)} ${share === null ? "" : bar(share)}  ${extra}`,
    );
  } else {
    lines.push("Connections  n/a");
  }

  if (f.replicas.length === 0) lines.push("Replication  no read replicas");
  f.replicas.forEach((r, i) => {
    const running = r.state === "running" || r.state === "available";
    const lag = r.lagSeconds;
    const level: Level = !running
      ? "red"
      : lag === null
        ? "plain"
        : lag >= LIMITS.replicaLagRedSeconds
          ? "red"
          : lag >= LIMITS.replicaLagYellowSeconds
            ? "yellow"
            : "green";
    const text = running
      ? `lag ${lag === null ? "unknown" : duration(lag)}${r.lagBytes !== null ? ` (${bytes(r.lagBytes)})` : ""}`
      : r.state;
    lines.push(`${i === 0 ? "Replication " : "            "} ${clean(r.name, 60)}: ${paint(level, text)}`);
  });

  const s = f.storage;
  if (s) {
    const share = s.capacityBytes ? s.freeBytes / s.capacityBytes : null;
    const level: Level =
      share === null
        ? "plain"
        : share < LIMITS.storageFreeRed
          ? "red"
          : share < LIMITS.storageFreeYellow
            ? "yellow"
            : "green";
    lines.push(
      `Storage      ${paint(level, `${bytes(s.freeBytes)} free`)}${s.capacityBytes ? ` of ${bytes(s.capacityBytes)} (${pct(share ?? 0)})` : ""}${s.path ? ` on the file system of ${clean(s.path, 60)}` : ""}`,
    );
  } else {
    lines.push("Storage      n/a");
  }

  lines.push("");
  lines.push(bold("Top queries by total time (pg_stat_statements)"));
  if (f.queries.length === 0) {
    lines.push(`  ${f.note ? clean(f.note, 200) : "no statements yet"}`);
  } else {
    lines.push("  share     calls  calls/s  mean ms  query");
    for (const q of f.queries) {
      const rate = q.callsPerSecond === null ? "-" : q.callsPerSecond.toFixed(1);
      lines.push(
        `  ${pct(q.share).padStart(5)}  ${String(q.calls).padStart(8)}  ${rate.padStart(7)}  ${q.meanMs.toFixed(2).padStart(7)}  ${clean(q.query, 400)}`,
      );
    }
  }
  return lines.map((l) => cutToWidth(l, o.width));
}

/** A line cut to `width` visible characters, keeping its colour sequences whole. */
export function cutToWidth(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\u001b") {
      const end = line.indexOf("m", i);
      if (end > 0) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return out;
}
