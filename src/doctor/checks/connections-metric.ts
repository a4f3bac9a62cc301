import { pct } from "../format.js";
import type { ConnectionMetric } from "../observation.js";
import type { Thresholds } from "../types.js";
import { graded, skipped, type Verdict } from "./common.js";

/**
 * The connections check on AWS, where the server's views cannot be read from here: CloudWatch's
 * DatabaseConnections against max_connections as RDS sets it (the same 75% / 90% thresholds).
 */
export function connectionsFromMetric(m: ConnectionMetric, t: Thresholds): Verdict {
  const observed = {
    used: m.used,
    max: m.max,
    maxSource: m.maxSource,
    source: "CloudWatch DatabaseConnections",
  };
  if (m.used === null) return skipped("no DatabaseConnections figure in the last 15 minutes", observed);
  if (m.max === null || m.max <= 0)
    return skipped(`${m.used} connections (CloudWatch); max_connections is unknown for this class`, observed);
  const share = m.used / m.max;
  const level = share >= t.connectionsRed ? "red" : share >= t.connectionsYellow ? "yellow" : "green";
  return graded(
    level,
    `${m.used} of ${m.max} connections in use (${pct(share)}; CloudWatch DatabaseConnections; max_connections: ${m.maxSource})`,
    { ...observed, share: Math.round(share * 1000) / 1000 },
    "Pool the application's connections (DB_RDS_PROXY_ENABLED=true puts RDS Proxy in front; or size DB_POOL_SIZE per instance), close idle ones, or move to a larger instance class (max_connections follows its memory): `ebdb scale --instance-class <class>`.",
  );
}
