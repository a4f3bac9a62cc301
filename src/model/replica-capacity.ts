import { userError } from "../errors.js";
import type { Desired } from "./desired-types.js";

/**
 * Refuses one more replica when `have` (the replicas' names) already reach
 * DB_READ_REPLICA_MAX_CAPACITY: the next `up` would remove one beyond it, as RDS's autoscaling never
 * goes past its maximum. Throws REPLICA_MAX_CAPACITY (a user error, exit 2).
 */
export function checkReplicaCapacity(desired: Desired, have: readonly string[]): void {
  const { max } = desired.config.replicas;
  if (have.length < max) return;
  throw userError(
    "REPLICA_MAX_CAPACITY",
    `${desired.identifier} has ${have.length} read replica${have.length === 1 ? "" : "s"} and DB_READ_REPLICA_MAX_CAPACITY is ${max}: another would be beyond the maximum, and the next \`ebdb up\` would remove it.`,
    max < 15
      ? "Raise DB_READ_REPLICA_MAX_CAPACITY in config.env (at most 15), then run `ebdb replica add` again."
      : "RDS allows at most 15 read replicas of one instance.",
    { replicas: [...have], max },
  );
}
