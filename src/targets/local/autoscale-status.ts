import { readiness, WalClock } from "../../autoscale/reader.js";
import type { AutoscaleStatus, ReplicaAutoscaleView } from "../../autoscale/runner-types.js";
import { instanceClassInfo } from "../../config/catalog/instance-classes.js";
import { readReaderPort, READER_HOST } from "./autoscale-endpoint.js";
import { checkReplica, samplePrimary } from "./autoscale-health.js";
import { type AutoscaleState, readState } from "./autoscale-state.js";
import { holderAlive } from "./lock.js";
import { listMetas } from "./meta.js";
import type { Session } from "./session.js";

/** Metric points `status` shows: the half hour the policy reads, at the default interval. */
const POINTS_SHOWN = 30;

/** Whether the state's runner is alive now (its pid, and the same process: not a reused pid). */
export function runnerAlive(st: AutoscaleState | null): boolean {
  const r = st?.runner;
  return Boolean(r && !r.stoppedAt && holderAlive({ pid: r.pid, start: r.start, what: "autoscale run" }));
}

/**
 * `autoscale status` on the local target: the settings, the runner, the replicas (as the running
 * runner last saw them; checked now, with what little can be known at once, when it is not running),
 * the reader endpoint, the metric, decisions and scaling activities from the runner's state.
 */
export async function localAutoscaleStatus(s: Session): Promise<AutoscaleStatus> {
  const c = s.config.replicas;
  const st = await readState(s.layout);
  const running = runnerAlive(st);
  const serving = running && st?.runner?.once === false;
  const maxLag = st?.runner?.maxLagSeconds ?? null;
  const metas = await listMetas(s.layout);
  const replicaMetas = metas.filter((m) => m.role === "replica");
  let replicas: ReplicaAutoscaleView[];
  if (running && st) {
    replicas = replicaMetas.map((m) => {
      const seen = st.replicas[m.name];
      return {
        name: m.name,
        state: seen?.ready ? "ready" : "creating",
        why: seen?.why ?? "not checked yet",
        createdByAutoscaler: m.createdBy === "autoscaler",
        connections: seen?.connections ?? null,
        lagSeconds: seen?.lagSeconds ?? null,
      };
    });
  } else {
    // Not in the endpoint (nothing serves it); the rest as it stands now.
    const clock = new WalClock(maxLag ?? 10);
    const primary = metas.find((m) => m.role === "primary");
    if (primary) await samplePrimary(s, primary, clock);
    const checks = await Promise.all(
      replicaMetas.map((m) => checkReplica(s, m, clock, st?.warmed[m.name]?.createdAt === m.createdAt)),
    );
    replicas = checks.map((ch) => ({
      name: ch.meta.name,
      // What it is now, as `ebdb status` says: running (answering), creating, or not available.
      state: ch.health.accepting ? "running" : ch.meta.state === "creating" ? "creating" : "unavailable",
      why: `${readiness(ch.health, maxLag ?? 10).why}; no reader endpoint while the runner is stopped`,
      createdByAutoscaler: ch.meta.createdBy === "autoscaler",
      connections: ch.connections,
      lagSeconds: ch.health.lagSeconds,
    }));
  }
  const port = await readReaderPort(s.layout);
  const members = serving ? (st?.reader?.members ?? []) : [];
  const primary = metas.find((m) => m.role === "primary");
  const r = st?.runner ?? null;
  const interval = st ? st.intervalMs / 1000 : null;
  return {
    target: "local",
    identifier: s.config.identifier,
    enabled: c.enabled && c.min < c.max,
    policy: "ebdb",
    minCapacity: c.min,
    maxCapacity: c.max,
    targetCpuPercent: c.targetCpu,
    scaleInCooldownSeconds: c.scaleInCooldownSeconds,
    scaleOutCooldownSeconds: c.scaleOutCooldownSeconds,
    replicaClass: c.instanceClass,
    replicaVcpus: instanceClassInfo(c.instanceClass)?.vcpu ?? null,
    runner: {
      kind: "local-process",
      state: running ? "running" : "stopped",
      detail: running
        ? `\`ebdb autoscale run\`${r?.once ? " --once" : ""} (pid ${r?.pid}), a step every ${interval} s`
        : r
          ? `not running (${r.stoppedAt ? "stopped" : "ended without stopping: killed?"}); start it with \`ebdb autoscale run\``
          : "never run; start it with `ebdb autoscale run` (it also serves the reader endpoint)",
      pid: running ? (r?.pid ?? null) : null,
      startedAt: running ? (r?.startedAt ?? null) : null,
      intervalSeconds: interval,
      maxLagSeconds: maxLag,
      lastStepAt: st?.lastStepAt ?? null,
    },
    current: replicas.length,
    ready: replicas.filter((x) => x.state === "ready").length,
    desired: running && st?.desired != null ? st.desired : replicas.length,
    replicas,
    reader:
      port === null
        ? null
        : {
            host: READER_HOST,
            port,
            served: serving,
            members: members.filter((m) => replicas.some((x) => x.name === m)),
            fallback: serving && primary ? primary.name : null,
          },
    metric: {
      name: "RDSReaderAverageCPUUtilization",
      unit: "Percent",
      periodSeconds: interval,
      points: (st?.history ?? [])
        .slice(-POINTS_SHOWN)
        .map((p) => ({ at: p.at, cpuPercent: p.cpuPercent, readyReplicas: p.readyReplicas })),
    },
    decisions: st?.decisions ?? [],
    activities: st?.activities ?? [],
  };
}
