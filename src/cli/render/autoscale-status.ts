import type { AutoscaleStatus, DecisionRecord } from "../../autoscale/runner-types.js";

/** Decisions and activities the text shows; --json has all the runner keeps. */
const DECISIONS_SHOWN = 10;
const ACTIVITIES_SHOWN = 10;
/** Metric points shown as figures in the text. */
const POINTS_SHOWN = 15;

/** "12:03:07" of an ISO time (local time); "-" for none. */
function time(iso: string | null): string {
  return iso ? new Date(iso).toTimeString().slice(0, 8) : "-";
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`);
}

function decisionText(d: DecisionRecord): string {
  if (d.action === "add") return `add ${d.count}`;
  if (d.action === "remove") return `remove ${(d.replicas ?? []).length}`;
  return "none";
}

/**
 * `autoscale status` as text: what describe-scalable-targets and describe-scaling-activities give
 * for Aurora, plus the reader endpoint and the metric.
 */
export function autoscaleStatusLines(s: AutoscaleStatus): string[] {
  const vcpus = s.replicaVcpus === null ? "" : `, ${s.replicaVcpus} vCPUs each`;
  const lines = [
    `Read-replica autoscaling of ${s.identifier} (${s.target}): ${s.enabled ? `on, ${s.policy} policy` : "off (DB_READ_REPLICA_MIN_CAPACITY = MAX, or replicas off)"}`,
    `  capacity   min ${s.minCapacity}, max ${s.maxCapacity} (${s.replicaClass}${vcpus}); target CPU ${s.targetCpuPercent}%; cooldowns ${s.scaleOutCooldownSeconds} s out, ${s.scaleInCooldownSeconds} s in`,
    `  replicas   current ${s.current} (${s.ready} ready, ${s.current - s.ready} not ready), desired ${s.desired}`,
    `  runner     ${s.runner.state}${s.runner.startedAt ? ` since ${time(s.runner.startedAt)}` : ""}: ${s.runner.detail}${s.runner.lastStepAt ? `; last step ${time(s.runner.lastStepAt)}` : ""}`,
  ];
  if (s.reader) {
    const r = s.reader;
    const to = !r.served
      ? "not served now (`ebdb autoscale run` serves it); meanwhile `ebdb env` names a caught-up replica directly, else the primary"
      : r.members.length
        ? `→ ${r.members.join(", ")}`
        : `→ no ready replica: new connections go to the primary${r.fallback ? ` (${r.fallback})` : ""}`;
    const lag =
      s.runner.maxLagSeconds === null ? "" : ` (replicas within ${s.runner.maxLagSeconds} s of lag, warmed)`;
    lines.push(`  reader     ${r.host}:${r.port} ${to}${lag}`);
  } else lines.push("  reader     none yet (`ebdb env` or `ebdb autoscale run` chooses its port)");

  if (s.replicas.length) {
    lines.push("", "Replicas:");
    lines.push(
      ...table([
        ["NAME", "STATE", "MADE BY", "CONNECTIONS", "LAG", "WHY"],
        ...s.replicas.map((x) => [
          x.name,
          x.state,
          x.createdByAutoscaler ? "autoscaler" : "up/replica add",
          x.connections === null ? "-" : String(x.connections),
          x.lagSeconds === null ? "-" : `${x.lagSeconds} s`,
          x.why,
        ]),
      ]),
    );
  }

  const points = s.metric.points.slice(-POINTS_SHOWN);
  lines.push(
    "",
    `${s.metric.name} (${s.metric.unit}${s.metric.periodSeconds ? `, one point per ${s.metric.periodSeconds} s` : ""}):`,
  );
  if (points.length === 0) lines.push("  no points yet");
  else
    lines.push(
      `  ${points.map((p) => `${p.cpuPercent.toFixed(1)}${p.readyReplicas === 1 ? "" : `/${p.readyReplicas}`}`).join("  ")}`,
      `  (oldest ${time(points[0].at)}, newest ${time(points[points.length - 1].at)}; /N: averaged over N ready replicas when not 1)`,
    );

  const decisions = s.decisions.slice(-DECISIONS_SHOWN);
  lines.push("", `Recent decisions (${decisions.length} of ${s.decisions.length} kept):`);
  if (decisions.length === 0) lines.push("  none yet");
  else
    lines.push(
      ...table(decisions.map((d) => [time(d.at), decisionText(d), `${d.current} → ${d.desired}`, d.reason])),
    );

  const acts = s.activities.slice(-ACTIVITIES_SHOWN);
  lines.push("", "Scaling activities:");
  if (acts.length === 0) lines.push("  none yet");
  else
    lines.push(
      ...table(
        acts.map((a) => [
          time(a.startTime),
          a.statusCode,
          a.description,
          `${a.statusMessage ? `${a.statusMessage} ` : ""}Cause: ${a.cause}`,
        ]),
      ),
    );
  return lines;
}
