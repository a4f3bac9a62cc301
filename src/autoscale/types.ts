/**
 * The read-replica autoscaler's inputs and decisions. A policy is a pure function from what a runner
 * observes to a decision with its reason; the runners (AWS, local, `autoscale run`) and the simulator
 * all call the same functions.
 *
 * What a runner must supply at each tick (once a minute):
 * - `config`: DB_READ_REPLICA_MIN_CAPACITY, _MAX_CAPACITY, _TARGET_CPU, _SCALE_IN_COOLDOWN and
 *   _SCALE_OUT_COOLDOWN from config.env (`policyConfigFrom`), the vCPUs of DB_READ_REPLICA_INSTANCE_CLASS
 *   (config/catalog/instance-classes.ts), and how many minutes a new replica takes to become ready
 *   (RDS: about 10-15; a runner may use what its last creations took).
 * - `replicas`: every read replica of the primary. `ready` means it serves reads and its CPU is in the
 *   metric (on AWS: available, caught up and warmed, i.e. in the reader record); everything before
 *   that (creating, backing-up, warming) is `creating`, and counts toward capacity already added.
 *   `createdByAutoscaler` comes from the runner's own mark (a tag on AWS): the policy removes no
 *   other replica. `connections` is the replica's current client connections (DatabaseConnections,
 *   or pg_stat_activity locally); null when unknown.
 * - `history`: one point per whole minute before `nowMs`, oldest first: the average CPU of the ready
 *   replicas in that minute (what ebdb publishes as RDSReaderAverageCPUUtilization) and how many
 *   replicas it averages. The last 30 minutes are enough; gaps are allowed. Never replication lag:
 *   an idle RDS PostgreSQL replica can report minutes of lag, and lag is not load.
 * - `lastScaleOutAt` / `lastScaleInAt`: when the autoscaler last added / removed replicas (null: never);
 *   a runner keeps them where it keeps state (tags on AWS), since it has no memory between ticks.
 *
 * A runner carries the decision out as given (add `count` replicas of the class, or delete exactly
 * `remove`), records the time, and logs `reason`.
 */

/** The autoscaling settings, in the units the policies use. */
export interface PolicyConfig {
  /** DB_READ_REPLICA_MIN_CAPACITY: fewest replicas. */
  minCapacity: number;
  /** DB_READ_REPLICA_MAX_CAPACITY: most replicas. */
  maxCapacity: number;
  /** DB_READ_REPLICA_TARGET_CPU: the average replica CPU (%) to aim for, 1-100. */
  targetCpuPercent: number;
  /** DB_READ_REPLICA_SCALE_IN_COOLDOWN, seconds. */
  scaleInCooldownSeconds: number;
  /** DB_READ_REPLICA_SCALE_OUT_COOLDOWN, seconds. */
  scaleOutCooldownSeconds: number;
  /** vCPUs of one replica (DB_READ_REPLICA_INSTANCE_CLASS). */
  replicaVcpus: number;
  /** Expected minutes from the action that adds a replica to the replica being ready. */
  provisionMinutes: number;
}

export type ReplicaState = "ready" | "creating";

/** One read replica as the policy sees it. */
export interface ReplicaView {
  /** The runner's name for it (the RDS identifier, the local node name). */
  id: string;
  state: ReplicaState;
  /** Whether the autoscaler made it: only those may be removed. */
  createdByAutoscaler: boolean;
  /** Current client connections; null when unknown. */
  connections: number | null;
  /** When it was created (ms since the epoch); the newest goes first among equals. */
  createdAtMs: number;
}

/** The readers' average CPU in one minute. */
export interface MetricPoint {
  /** Start of the minute (ms since the epoch). */
  atMs: number;
  /** Average CPUUtilization of the ready replicas, 0-100. 100 when demand found no ready replica. */
  cpuPercent: number;
  /** How many ready replicas the average is over. */
  readyReplicas: number;
}

export interface PolicyInput {
  /** The decision's time (ms since the epoch): the start of the current minute. */
  nowMs: number;
  config: PolicyConfig;
  replicas: readonly ReplicaView[];
  /** Minutes before `nowMs`, oldest first. */
  history: readonly MetricPoint[];
  /** When the autoscaler last added replicas (ms), or null. */
  lastScaleOutAt: number | null;
  /** When the autoscaler last removed replicas (ms), or null. */
  lastScaleInAt: number | null;
}

/** What to do now, and why (a sentence for the log and `autoscale status`). */
export type Decision =
  | { action: "none"; reason: string }
  | { action: "add"; count: number; reason: string }
  | { action: "remove"; remove: string[]; reason: string };

export type Policy = (input: PolicyInput) => Decision;

export const POLICY_NAMES = ["ebdb", "target-tracking", "step"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
