/**
 * What a change costs the running database, least to most disruptive:
 * - none: applied online;
 * - restart: a reboot (seconds to a minute of downtime);
 * - failover: a Multi-AZ failover (about a minute; connections drop);
 * - outage: the instance is unavailable for several minutes (e.g. a new class without Multi-AZ);
 * - replace: a new resource takes the old one's place (snapshot, copy, restore);
 * - data-loss: data would be destroyed.
 */
export type Impact = "none" | "restart" | "failover" | "outage" | "replace" | "data-loss";

export const IMPACT_ORDER: readonly Impact[] = [
  "none",
  "restart",
  "failover",
  "outage",
  "replace",
  "data-loss",
];

export function worstImpact(impacts: Iterable<Impact>): Impact {
  let worst: Impact = "none";
  for (const i of impacts) if (IMPACT_ORDER.indexOf(i) > IMPACT_ORDER.indexOf(worst)) worst = i;
  return worst;
}

export type ResourceKind =
  | "instance"
  | "replica"
  | "parameter-group"
  | "secret"
  | "subnet-group"
  | "security-group"
  | "security-group-rule"
  | "topic"
  | "alarm"
  | "eb-environment"
  | "iam-policy"
  | "backup"
  | "proxy"
  | "tls"
  | "autoscaler";

export interface Change {
  /** Name of the resource, e.g. `my-app-prod-db`. */
  resource: string;
  kind: ResourceKind;
  action: "create" | "update" | "delete";
  /** For updates: the setting that changes, e.g. `instanceClass`. */
  field?: string;
  from?: unknown;
  to?: unknown;
  impact: Impact;
  /** One sentence a user reads in the plan: why this change, and what it will do. */
  reason: string;
}

export interface Plan {
  target: "local" | "aws";
  /** Changes to make, in a valid order (creates before dependants, deletes after). */
  changes: Change[];
  /** Changes the configuration asks for that ebdb will not make (shrink storage, change engine...). */
  refused: Change[];
  /** Things worth saying that are not changes. */
  notes: string[];
}

export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.length === 0 && plan.refused.length === 0;
}
