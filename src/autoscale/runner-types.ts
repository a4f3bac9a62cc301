import type { PolicyName } from "./types.js";

/**
 * What a target's autoscaling runner offers the api (`ebdb autoscale run|status`), and the shape of
 * `autoscale status --json`, the same on both targets. Names follow Application Auto Scaling's
 * (describe-scalable-targets: MinCapacity, MaxCapacity; describe-scaling-activities: StatusCode,
 * Cause, StartTime, EndTime) and CloudWatch's (a metric's name, unit and period).
 */

/** Options of `ebdb autoscale run`. */
export interface AutoscaleRunOptions {
  /** One step, then return (for cron, or a test). */
  once: boolean;
  /** Seconds per step (default 60); each step is a minute of the policy's clock (runner-clock.ts). */
  intervalSeconds: number;
  /** The reader endpoint's bound on replication lag (seconds). */
  maxLagSeconds: number;
  /** Aborting it stops the runner cleanly: the current action finishes, then it returns. */
  signal?: AbortSignal;
  /** Each thing the runner does or decides, as it happens. */
  onEvent(e: RunnerEvent): void;
}

export type RunnerEventKind =
  | "started"
  | "step"
  | "scale-out"
  | "scale-in"
  | "scaling-failed"
  | "reader"
  | "warmed"
  | "warning"
  | "stopped";

/** One line of the runner's log: `message` for people, `data` for `--json`. */
export interface RunnerEvent {
  /** ISO-8601 time. */
  at: string;
  kind: RunnerEventKind;
  message: string;
  data?: Record<string, unknown>;
}

/** One step's decision, as the runner logged it. */
export interface DecisionRecord {
  at: string;
  action: "none" | "add" | "remove";
  /** Replicas to add (add). */
  count?: number;
  /** Replicas to remove (remove). */
  replicas?: string[];
  reason: string;
  /** The replicas (ready + creating) when deciding, and the count the decision leads to. */
  current: number;
  desired: number;
}

/** A scaling action and how it went (Application Auto Scaling's ScalingActivity). */
export interface ScalingActivity {
  /** "Adding replica app-env-db-replica-2", "Removing replica ...". */
  description: string;
  /** The policy's reason. */
  cause: string;
  startTime: string;
  endTime: string | null;
  statusCode: "InProgress" | "Successful" | "Failed";
  statusMessage: string | null;
}

/** One replica as `autoscale status` shows it. */
export interface ReplicaAutoscaleView {
  name: string;
  /**
   * ready: in the reader endpoint (what the policy counts as capacity serving reads); creating: being
   * made or not yet serving. With no runner (nothing serves the endpoint) a replica is what it is now:
   * running (answering queries), creating, or unavailable (stopped, refusing).
   */
  state: "ready" | "creating" | "running" | "unavailable";
  /** Why it is or is not in the reader endpoint, e.g. "caught up, not warmed yet". */
  why: string;
  createdByAutoscaler: boolean;
  /** Client connections (not ebdb's own); null when unknown. */
  connections: number | null;
  /** Replication lag (seconds), null when unknown. */
  lagSeconds: number | null;
}

export interface AutoscaleStatus {
  target: "local" | "aws";
  identifier: string;
  /** Read replicas on and DB_READ_REPLICA_MIN_CAPACITY < DB_READ_REPLICA_MAX_CAPACITY. */
  enabled: boolean;
  policy: PolicyName;
  minCapacity: number;
  maxCapacity: number;
  targetCpuPercent: number;
  scaleInCooldownSeconds: number;
  scaleOutCooldownSeconds: number;
  replicaClass: string;
  /** vCPUs of the replica class (the metric's denominator). */
  replicaVcpus: number | null;
  runner: {
    /** local: `ebdb autoscale run` on this machine; aws: the Lambda function run each minute. */
    kind: "local-process" | "aws-lambda";
    state: "running" | "stopped" | "not-deployed";
    /** A sentence: since when, where, or what starts it. */
    detail: string;
    pid: number | null;
    /** When the running runner started (ISO-8601); null when none runs. */
    startedAt: string | null;
    intervalSeconds: number | null;
    maxLagSeconds: number | null;
    lastStepAt: string | null;
  };
  /** Replicas now (ready + creating), ready ones, and the count the last decision wanted. */
  current: number;
  ready: number;
  desired: number;
  replicas: ReplicaAutoscaleView[];
  /** Where applications read (DB_READER_HOST/PORT) and which replicas it holds now; null when there is none. */
  reader: {
    host: string;
    port: number;
    /** Whether something serves it now (locally: the runner's balancer). */
    served: boolean;
    members: string[];
    /** Locally, with no ready replica, new connections go to the primary. */
    fallback: string | null;
  } | null;
  metric: {
    name: "RDSReaderAverageCPUUtilization";
    unit: "Percent";
    /** Seconds per point (the runner's interval). */
    periodSeconds: number | null;
    /** Oldest first. */
    points: { at: string; cpuPercent: number; readyReplicas: number }[];
  };
  /** The runner's recent decisions, oldest first (each step's, including "none"). */
  decisions: DecisionRecord[];
  /** Scaling actions, oldest first. */
  activities: ScalingActivity[];
}

/** A target's autoscaling runner (optional on Target: a target without one says so). */
export interface AutoscaleRunner {
  run(opts: AutoscaleRunOptions): Promise<void>;
  status(): Promise<AutoscaleStatus>;
  /**
   * The reader address applications are given, or null when there is none (replicas off). `served`
   * false: the endpoint is not served now and host/port name a node directly (locally: a caught-up
   * replica, else the primary), with `note` (one line for stderr) saying so and how to serve it;
   * `toPrimary`: it names the primary although there are replicas (none is ready).
   */
  readerEndpoint(): Promise<{
    host: string;
    port: number;
    served?: boolean;
    note?: string | null;
    toPrimary?: boolean;
  } | null>;
}
