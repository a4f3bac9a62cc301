import { join } from "node:path";
import type { DecisionRecord, ScalingActivity } from "../../autoscale/runner-types.js";
import type { MetricPoint } from "../../autoscale/types.js";
import type { CpuSample } from "./autoscale-cpu.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Layout } from "./layout.js";

/**
 * What the local autoscaling runner remembers between steps and runs, in
 * `.ebdb/<identifier>/autoscale.json` (root's, 0600, written whole and atomically by fs-safe.ts): only
 * the runner writes it, under `.ebdb/<identifier>.autoscale.lock`. Which replicas the autoscaler
 * made is not here but in each replica's node.json (`createdBy`), so it goes with the replica.
 */
export interface AutoscaleState {
  version: 1;
  /** The interval the history's steps were taken at (ms): a run at another interval starts a new history. */
  intervalMs: number;
  /** The runner now or last: its process, for `status`. */
  runner: {
    pid: number;
    /** Its start time (/proc/<pid>/stat field 22), to tell a reused pid. */
    start: string;
    startedAt: string;
    stoppedAt: string | null;
    maxLagSeconds: number;
    once: boolean;
  } | null;
  lastStepAt: string | null;
  /** The last CPU sample of each replica (by name), the base of the next step's figure. */
  samples: Record<string, CpuSample>;
  /** One point per step (policy time, see runner-clock.ts), with its real time. */
  history: (MetricPoint & { at: string })[];
  /** Real times (ms) of the autoscaler's last scale-out and scale-in. */
  lastScaleOutAt: number | null;
  lastScaleInAt: number | null;
  /** How long the last replica it added took to be ready (seconds): the policy's provisioning time. */
  lastProvisionSeconds: number | null;
  /** Replicas added and not ready yet: when each was added (ms). */
  provisioning: Record<string, number>;
  /** Replicas warmed, keyed by name, for the replica created at `createdAt` (a new one of the same name is cold). */
  warmed: Record<string, { createdAt: string; at: string; tables: number; bytes: number; ms: number }>;
  /** The reader endpoint as the runner last set it. */
  reader: { members: string[]; updatedAt: string } | null;
  /** Each replica as the runner last saw it. */
  replicas: Record<
    string,
    { ready: boolean; why: string; lagSeconds: number | null; connections: number | null }
  >;
  desired: number | null;
  decisions: DecisionRecord[];
  activities: ScalingActivity[];
}

/** Decisions kept (one per step: an hour at the default interval) and scaling activities kept. */
export const DECISIONS_KEPT = 60;
export const ACTIVITIES_KEPT = 50;

export function emptyState(intervalMs: number): AutoscaleState {
  return {
    version: 1,
    intervalMs,
    runner: null,
    lastStepAt: null,
    samples: {},
    history: [],
    lastScaleOutAt: null,
    lastScaleInAt: null,
    lastProvisionSeconds: null,
    provisioning: {},
    warmed: {},
    reader: null,
    replicas: {},
    desired: null,
    decisions: [],
    activities: [],
  };
}

export function stateFile(l: Layout): string {
  return join(l.stateDir, "autoscale.json");
}

/** The lock only one runner holds (beside the project's lock, not in the state folder destroy removes). */
export function runnerLockFile(l: Layout): string {
  return join(l.projectDir, ".ebdb", `${l.identifier}.autoscale.lock`);
}

/** The runner's state; null when there is none (or it cannot be read: a runner starts over). */
export async function readState(l: Layout): Promise<AutoscaleState | null> {
  try {
    const s = JSON.parse((await readFileSafe(stateFile(l))) ?? "null") as AutoscaleState | null;
    return s && s.version === 1 && typeof s.intervalMs === "number" ? s : null;
  } catch {
    return null;
  }
}

export async function writeState(l: Layout, s: AutoscaleState): Promise<void> {
  await writeFileMode(stateFile(l), `${JSON.stringify(s, null, 1)}\n`, 0o600);
}

/**
 * The state a run at `intervalMs` continues from: the stored one, with its metric history and CPU
 * samples dropped when they were taken at another interval (their steps mean other times).
 */
export function continueState(stored: AutoscaleState | null, intervalMs: number): AutoscaleState {
  if (!stored) return emptyState(intervalMs);
  if (stored.intervalMs === intervalMs) return stored;
  return { ...stored, intervalMs, history: [], samples: {} };
}
