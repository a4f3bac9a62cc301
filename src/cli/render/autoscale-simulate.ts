import { relative } from "node:path";
import type { SimulateResult } from "../../api/autoscale-simulate.js";

/** Actions listed in the text output; --json has them all. */
const MAX_ACTIONS = 25;

/** A simulated run as text: the settings, the figures, the actions with their reasons, the plot. */
export function simulationLines(r: SimulateResult, cwd: string): string[] {
  const s = r.settings;
  const sum = r.summary;
  const figures: Array<[string, string, string]> = [
    ["saturated minutes", String(sum.saturated_minutes), "demand above the ready replicas' vCPUs"],
    ["over-target minutes", String(sum.over_target_minutes), `CPU above ${s.targetCpuPercent}%`],
    ["replica-hours", sum.replica_hours.toFixed(2), "ready and provisioning"],
    ["scale-out actions", String(sum.scale_out_actions), ""],
    ["scale-in actions", String(sum.scale_in_actions), ""],
  ];
  const w0 = Math.max(...figures.map((f) => f[0].length));
  const w1 = Math.max(...figures.map((f) => f[1].length));
  const lines = [
    `Simulated the ${r.policy} policy over ${r.trace} (${r.timeline.length} minutes)`,
    `Replicas: ${s.replicaClass} (${s.replicaVcpus} vCPUs each), ${s.minCapacity} to ${s.maxCapacity}, target CPU ${s.targetCpuPercent}%, cooldowns ${s.scaleOutCooldownSeconds} s out / ${s.scaleInCooldownSeconds} s in; a replica is ready ${s.provisionMinutes} min after it is added; ${s.initialReplicas} at the start`,
    "",
    ...figures.map(([k, v, note]) => `  ${k.padEnd(w0)}  ${v.padStart(w1)}${note ? `  ${note}` : ""}`),
  ];
  const actions = r.timeline.filter((t) => t.action !== null);
  if (actions.length > 0) {
    const wm = String(actions[actions.length - 1].minute).length;
    lines.push("", "Actions:");
    for (const t of actions.slice(0, MAX_ACTIONS)) {
      const a = t.action!;
      const sign = a.kind === "scale-out" ? "+" : "-";
      lines.push(
        `  minute ${String(t.minute).padStart(wm)}  ${`${sign}${a.count}`.padStart(3)} → ${String(t.ready + t.provisioning).padStart(2)}  ${a.reason}`,
      );
    }
    if (actions.length > MAX_ACTIONS)
      lines.push(`  … and ${actions.length - MAX_ACTIONS} more (--json has them all)`);
  }
  if (r.plotFile) {
    const rel = relative(cwd, r.plotFile);
    lines.push("", `Plot: ${rel && !rel.startsWith("..") ? rel : r.plotFile}`);
  }
  return lines;
}
