import type { StatusReport } from "../../targets/target.js";

const GiB = 1024 ** 3;

function size(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * The storage the report knows, as one line: used, allocated and its share, and the autoscaling
 * limit (AWS); only what is used on the local target. null when nothing is known.
 */
export function storageLine(s: StatusReport["storage"]): string | null {
  const parts: string[] = [];
  if (s.usedBytes !== null) {
    const share =
      s.allocatedGiB !== null && s.allocatedGiB > 0
        ? ` of ${s.allocatedGiB} GiB (${Math.round((s.usedBytes / (s.allocatedGiB * GiB)) * 100)}%)`
        : "";
    parts.push(`${size(s.usedBytes)} used${share}`);
  } else if (s.allocatedGiB !== null) parts.push(`${s.allocatedGiB} GiB allocated (use unknown)`);
  if (parts.length === 0) return null;
  if (s.allocatedGiB !== null)
    parts.push(s.maxAllocatedGiB !== null ? `autoscaling up to ${s.maxAllocatedGiB} GiB` : "autoscaling off");
  return `Storage: ${parts.join(", ")}`;
}

/**
 * The alarms: on AWS always said (those in ALARM, or that none is); the local target has no alarms,
 * so it says nothing unless one is reported. null when there is nothing to say.
 */
export function alarmLine(r: Pick<StatusReport, "target" | "alarmsInAlarm">): string | null {
  if (r.alarmsInAlarm.length > 0) return `Alarms in ALARM: ${r.alarmsInAlarm.join(", ")}`;
  return r.target === "aws" ? "Alarms: none in ALARM" : null;
}

/** Changes RDS holds for the maintenance window, as `key → value`; null when none. */
export function pendingLine(pending: StatusReport["pendingModifications"]): string | null {
  const entries = Object.entries(pending);
  if (entries.length === 0) return null;
  const show = (v: unknown) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  return `Pending changes: ${entries.map(([k, v]) => `${k} → ${show(v)}`).join(", ")}`;
}

/** The local disk holding the data, as df says it: "Disk: 97% full, 10.0 MiB available of 300.0 MiB (<path>)". */
export function diskLine(s: StatusReport["storage"]): string | null {
  const d = s.disk;
  if (!d) return null;
  return `Disk: ${d.usedPercent}% full, ${size(d.availableBytes)} available of ${size(d.sizeBytes)} (${d.path})`;
}

/** The replication slots on the primary with the WAL each holds, as a small table; [] when there are none. */
export function slotLines(slots: StatusReport["replicationSlots"]): string[] {
  if (slots === undefined) return [];
  if (slots === null) return ["Replication slots: unknown (the primary cannot be queried)"];
  if (slots.length === 0) return [];
  const cap = slots[0].capBytes;
  const rows = slots.map((x) => {
    const wal = x.lost
      ? x.walStatus === "lost"
        ? "LOST (the primary removed WAL it needed)"
        : "LOST (gone from the primary)"
      : `holds ${size(x.heldBytes ?? 0)} (${x.walStatus ?? "?"}${x.safeBytes !== null ? `; ${size(Math.max(0, x.safeBytes))} to go` : ""})`;
    return [x.name, x.replica ?? "(no replica)", x.active ? "streaming" : "inactive", wal];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return [
    `Replication slots (WAL each holds on the primary; ${cap === null ? "no limit" : `at most ${size(cap)}, max_slot_wal_keep_size`}):`,
    ...rows.map((r) => `  ${r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ")}`),
  ];
}

/** A node's state as text: "running", or what a running server refuses ("running, refusing: too many clients (100/100)"). */
export function stateText(n: StatusReport["nodes"][number]): string {
  if (!n.refusing) return n.state;
  const c = n.connections;
  return `${n.state}, refusing: ${n.refusing}${c ? ` (${c.used}/${c.max})` : ""}`;
}

/** The WAL archive's line: its state (since when it fails, how often, the last error), last segment, backlog. */
export function archiveLine(a: NonNullable<StatusReport["backups"]["archive"]>): string {
  const last = `last ${a.lastArchived ?? "-"}${a.lastArchivedAt ? ` at ${a.lastArchivedAt}` : ""}`;
  const waiting = a.waiting ? `; ${a.waiting} segment(s) waiting` : "";
  if (a.state !== "failing") return `WAL archive: ${a.state}; ${last}; ${a.failedCount} failure(s)${waiting}`;
  const since = a.failingSince ? ` since ${a.failingSince}` : "";
  const error = a.lastError ? `; last error: ${a.lastError}` : "";
  return `WAL archive: failing${since} (${a.failedCount} failure(s)${error}); ${last}${waiting}`;
}
