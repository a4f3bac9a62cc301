import { status } from "../../api/status.js";
import type { StatusReport } from "../../targets/target.js";
import { type CliContext, printJson } from "../output.js";
import {
  alarmLine,
  archiveLine,
  diskLine,
  pendingLine,
  slotLines,
  stateText,
  storageLine,
} from "../render/status-health.js";
import { poolerLines } from "../render/status-pooler.js";

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
}

function lag(bytes: number | null, seconds: number | null): string {
  if (bytes === null && seconds === null) return "-";
  return `${bytes ?? "?"} B / ${seconds === null ? "?" : seconds.toFixed(3)} s`;
}

/** The status report as text. */
export function statusLines(r: StatusReport): string[] {
  const lines = [`${r.identifier} (${r.target}): ${r.engine} ${r.engineVersion}`, ""];
  if (r.nodes.length) {
    // Connections in use of max_connections, where the target reads them (local).
    const conns = r.nodes.some((n) => n.connections);
    lines.push(
      ...table([
        ["NODE", "ROLE", "STATE", "ENDPOINT", "PID", ...(conns ? ["CONNS"] : []), "LAG"],
        ...r.nodes.map((n) => [
          n.name,
          n.role,
          stateText(n),
          n.host && n.port ? `${n.host}:${n.port}` : "-",
          n.pid === null ? "-" : String(n.pid),
          ...(conns ? [n.connections ? `${n.connections.used}/${n.connections.max}` : "-"] : []),
          n.role === "replica" ? lag(n.lagBytes, n.lagSeconds) : "",
        ]),
      ]),
      "",
    );
    const slots = slotLines(r.replicationSlots);
    if (slots.length) lines.push(...slots, "");
  }
  const pooler = poolerLines(r.pooler);
  if (pooler.length) lines.push(...pooler, "");
  const b = r.backups;
  lines.push(
    b.enabled ? `Backups: on, kept ${b.retentionDays} days` : "Backups: off (no point-in-time restore)",
  );
  if (b.archive) {
    lines.push(`  ${archiveLine(b.archive)}`);
  }
  if (b.enabled)
    lines.push(`  Restorable window: ${b.earliestRestorableTime ?? "-"} to ${b.latestRestorableTime ?? "-"}`);
  if (b.space)
    lines.push(
      `  Space: base backups ${(b.space.backupsBytes / 1048576).toFixed(1)} MiB (shared files once), WAL archive ${(b.space.archiveBytes / 1048576).toFixed(1)} MiB`,
    );
  for (const x of b.list)
    lines.push(
      `  ${x.kind.padEnd(9)} ${x.id}  ${x.createdAt}  ${x.sizeBytes === null ? "" : `${(x.sizeBytes / 1048576).toFixed(1)} MiB`}`,
    );
  // Storage, alarms and pending changes, as the JSON has them.
  for (const line of [
    storageLine(r.storage),
    diskLine(r.storage),
    alarmLine(r),
    pendingLine(r.pendingModifications),
  ])
    if (line) lines.push(line);
  if (r.notes.length) lines.push("", ...r.notes.map((n) => `• ${n}`));
  return lines;
}

/** `ebdb status [--json]`: JSON is the StatusReport, the same shape on both targets. */
export async function run(cli: CliContext): Promise<number> {
  const report = await status(cli.ctx);
  if (cli.flags.json) printJson(cli.output, report);
  else cli.output.out(statusLines(report).join("\n"));
  return 0;
}
