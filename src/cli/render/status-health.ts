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
