import type { Change, ResourceKind } from "../model/change.js";

/** Dependency rank: a resource comes after what it needs (a replica needs its primary, alarms the topic...). */
const RANK: Record<ResourceKind, number> = {
  secret: 0,
  "subnet-group": 1,
  "security-group": 2,
  "security-group-rule": 3,
  "parameter-group": 4,
  instance: 5,
  replica: 6,
  backup: 7,
  proxy: 8,
  topic: 9,
  alarm: 10,
  "iam-policy": 11,
  "eb-environment": 12,
  tls: 13,
  // The read-replica autoscaler acts on the database, its replicas and network: it comes last, and
  // goes first (no replica appears while the rest is being deleted).
  autoscaler: 14,
};

const ACTION: Record<Change["action"], number> = { create: 0, update: 1, delete: 2 };

/**
 * Orders changes so each can run when its turn comes: creates and updates by dependency rank (an
 * update of the primary, such as turning backups on, comes before the replicas that need it; the EB
 * wiring comes last), then deletes in reverse rank (the EB wiring stops naming a replica before it
 * goes; alarms go before what they watch). The sort is stable: equal changes keep the diff's order.
 */
export function orderChanges(changes: readonly Change[]): Change[] {
  const key = (c: Change): [number, number, number] =>
    c.action === "delete" ? [1, -RANK[c.kind], 0] : [0, RANK[c.kind], ACTION[c.action]];
  return changes
    .map((c, i) => ({ c, i, k: key(c) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i)
    .map((x) => x.c);
}
