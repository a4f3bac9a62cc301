import { instanceClassInfo } from "../config/catalog/instance-classes.js";
import { userError } from "../errors.js";
import type { ReplicaConfig } from "../model/config.js";
import type { PolicyConfig } from "./types.js";

/** RDS creates a read replica in about 10-15 minutes; the simulator's default, and a runner's first guess. */
export const DEFAULT_PROVISION_MINUTES = 10;

/**
 * The policy's settings from config.env's DB_READ_REPLICA_* keys. Throws a user error (exit 2) naming
 * DB_READ_REPLICA_INSTANCE_CLASS when its vCPUs are unknown (a class outside the catalog), and the
 * bounds when the minimum is above the maximum (which config rules only check with replicas on).
 */
export function policyConfigFrom(
  replicas: ReplicaConfig,
  provisionMinutes = DEFAULT_PROVISION_MINUTES,
): PolicyConfig {
  const info = instanceClassInfo(replicas.instanceClass);
  if (!info) {
    throw userError(
      "UNKNOWN_INSTANCE_CLASS",
      `DB_READ_REPLICA_INSTANCE_CLASS ${replicas.instanceClass}: ebdb does not know how many vCPUs it has, so it cannot turn CPU % into demand.`,
      "Use a class from the catalog (db.t3, db.t4g, db.m5, db.m6i, db.m6g, db.m7g, db.r5, db.r6i, db.r6g, db.r7g families).",
    );
  }
  if (replicas.min > replicas.max) {
    throw userError(
      "BAD_REPLICA_BOUNDS",
      `DB_READ_REPLICA_MIN_CAPACITY (${replicas.min}) is above DB_READ_REPLICA_MAX_CAPACITY (${replicas.max}).`,
      "Make DB_READ_REPLICA_MIN_CAPACITY <= DB_READ_REPLICA_MAX_CAPACITY.",
    );
  }
  return {
    minCapacity: replicas.min,
    maxCapacity: replicas.max,
    targetCpuPercent: replicas.targetCpu,
    scaleInCooldownSeconds: replicas.scaleInCooldownSeconds,
    scaleOutCooldownSeconds: replicas.scaleOutCooldownSeconds,
    replicaVcpus: info.vcpu,
    provisionMinutes,
  };
}
