import { maxConnectionsEstimate } from "../config/catalog/instance-classes.js";
import type { Desired } from "../model/desired-types.js";
import { type PoolSizing, poolSizing } from "./sizing.js";

/**
 * Elastic Beanstalk's default maximum of an environment's Auto Scaling group (aws:autoscaling:asg
 * MaxSize) when the environment sets none: EB Developer Guide, "General options for all environments".
 */
export const EB_DEFAULT_MAX_SIZE = 4;

/** The most application instances there may be, and where that number comes from. */
export interface InstanceCount {
  count: number;
  from: string;
}

/**
 * The pool sizing of a configuration on its target (pure). `instances`: the EB environment's maximum
 * (read by the AWS target), `--max-instances`, or one application locally. `localMaxConnections`:
 * the local primary's max_connections (the local target runs its own, not RDS's formula). Null when
 * the instance class is not one ebdb knows the memory of (RDS's formula needs it).
 */
export function sizingFor(
  desired: Desired,
  instances: InstanceCount,
  localMaxConnections?: number,
): PoolSizing | null {
  const c = desired.config;
  let max: number | null;
  let from: string;
  if (desired.target === "local" && localMaxConnections !== undefined) {
    max = localMaxConnections;
    from = "the local primary's setting";
  } else {
    max = maxConnectionsEstimate(c.instanceClass, c.engine);
    from =
      c.engine === "postgres"
        ? `about: RDS's default for ${c.instanceClass}, LEAST(DBInstanceClassMemory/9531392, 5000)`
        : `about: RDS's default for ${c.instanceClass}, DBInstanceClassMemory/12582880`;
  }
  if (max === null) return null;
  return poolSizing({
    maxConnections: max,
    maxConnectionsFrom: from,
    instances: instances.count,
    instancesFrom: instances.from,
    configured: c.poolSize,
    pooler: c.rdsProxy ? (desired.target === "aws" ? "rds-proxy" : "pgbouncer") : null,
  });
}

/**
 * The application instances a pool is sized for: `maxInstances` when given (`--max-instances`), one
 * application locally, the EB environment's own aws:autoscaling:asg MaxSize when the AWS target read
 * it (`envMaxSize`, with the environment's name), else Elastic Beanstalk's default MaxSize.
 */
export function instancesFor(
  target: Desired["target"],
  maxInstances?: number,
  envMaxSize?: { count: number; environment: string },
): InstanceCount {
  if (maxInstances !== undefined) return { count: maxInstances, from: "--max-instances" };
  if (target === "local") return { count: 1, from: "one application locally" };
  if (envMaxSize)
    return { count: envMaxSize.count, from: `aws:autoscaling:asg MaxSize of ${envMaxSize.environment}` };
  return {
    count: EB_DEFAULT_MAX_SIZE,
    from: "Elastic Beanstalk's default aws:autoscaling:asg MaxSize",
  };
}
