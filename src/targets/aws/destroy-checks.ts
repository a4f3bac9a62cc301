import type { DBInstance } from "@aws-sdk/client-rds";
import { type EbdbError, userError } from "../../errors.js";
import type { LiveSg } from "./network.js";

/** One reason `destroy` would stop midway, found before it changes anything. */
export interface Blocker {
  /** The resource in the way (an instance identifier, or `name (sg-id)` for a security group). */
  resource: string;
  problem: string;
  fix: string;
}

/** What destroy would delete and what else lives in the region, as read before the first change. */
export interface DestroyScope {
  primary: DBInstance | null;
  replicas: DBInstance[];
  restored: DBInstance[];
  /** Every other instance of the region: not ours, so never deleted. */
  others: DBInstance[];
  subnetGroup: string;
  parameterGroup: string;
  /** Our security groups that destroy deletes (the DB group, the client group). */
  securityGroups: LiveSg[];
  /** Groups outside ebdb whose rules name one of ours (EC2 refuses to delete a group still referenced). */
  referencing: { group: LiveSg; references: string[] }[];
}

/**
 * RDS refuses a final snapshot of an instance in these states (DeleteDBInstance: "When a DB instance
 * is in a failure state and has a status of failed, incompatible-restore, or incompatible-network,
 * you can only delete it when you skip creation of the final snapshot"; and "Instance is currently
 * creating - a final snapshot cannot be taken").
 */
const NO_FINAL_SNAPSHOT = new Set(["creating", "failed", "incompatible-restore", "incompatible-network"]);

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

/**
 * Everything that would make `destroy` fail after its first change: deletion protection on any
 * instance it deletes (RDS: "Cannot delete protected DB Instance"), a final snapshot RDS cannot take,
 * and instances or security groups outside ebdb that still use the groups it deletes (RDS:
 * InvalidDBParameterGroupState / InvalidDBSubnetGroupState, EC2: DependencyViolation). Pure.
 */
export function destroyBlockers(scope: DestroyScope, skipFinalSnapshot: boolean): Blocker[] {
  const out: Blocker[] = [];
  const ours: (readonly [DBInstance, "primary" | "replica" | "restored instance"])[] = [
    ...(scope.primary ? [[scope.primary, "primary"] as const] : []),
    ...scope.replicas.map((r) => [r, "replica"] as const),
    ...scope.restored.map((r) => [r, "restored instance"] as const),
  ];
  for (const [i, role] of ours) {
    const id = i.DBInstanceIdentifier!;
    if (i.DBInstanceStatus === "deleting") continue;
    if (i.DeletionProtection) {
      out.push({
        resource: id,
        problem: `${id} (${role}) has deletion protection on`,
        fix:
          role === "primary"
            ? "set DB_DELETION_PROTECTION=false in config.env and run `ebdb up --target aws` (it turns protection off)."
            : role === "replica"
              ? "run `ebdb up --target aws` (ebdb makes replicas without deletion protection and turns it off)."
              : `turn it off: aws rds modify-db-instance --db-instance-identifier ${id} --no-deletion-protection --apply-immediately`,
      });
    }
    if (!skipFinalSnapshot && role !== "replica" && NO_FINAL_SNAPSHOT.has(i.DBInstanceStatus ?? "")) {
      out.push({
        resource: id,
        problem: `${id} (${role}) is ${i.DBInstanceStatus}: RDS cannot take its final snapshot`,
        fix:
          i.DBInstanceStatus === "creating"
            ? "wait until it is available, or destroy with --skip-final-snapshot."
            : "destroy with --skip-final-snapshot (RDS deletes a failed instance only without one).",
      });
    }
  }

  const sgIds = new Map(scope.securityGroups.map((g) => [g.id, g.name]));
  for (const i of scope.others) {
    if (i.DBInstanceStatus === "deleting") continue;
    const uses: string[] = [];
    if (lower(i.DBSubnetGroup?.DBSubnetGroupName) === lower(scope.subnetGroup))
      uses.push(`subnet group ${scope.subnetGroup}`);
    if (
      (i.DBParameterGroups ?? []).some((p) => lower(p.DBParameterGroupName) === lower(scope.parameterGroup))
    )
      uses.push(`parameter group ${scope.parameterGroup}`);
    for (const g of i.VpcSecurityGroups ?? []) {
      const name = sgIds.get(g.VpcSecurityGroupId ?? "");
      if (name) uses.push(`security group ${name}`);
    }
    if (uses.length > 0) {
      const id = i.DBInstanceIdentifier!;
      out.push({
        resource: id,
        problem: `${id} (not made by ebdb) uses its ${uses.join(", ")}, which destroy deletes`,
        fix: "move it to other groups (aws rds modify-db-instance), or delete it, first.",
      });
    }
  }

  for (const { group, references } of scope.referencing) {
    out.push({
      resource: `${group.name} (${group.id})`,
      problem: `security group ${group.name} (${group.id}, not made by ebdb) allows traffic from ${references.join(", ")}, which destroy deletes`,
      fix: "remove those rules first (aws ec2 revoke-security-group-ingress).",
    });
  }
  return out;
}

/**
 * The error that names every blocker: DELETION_PROTECTED when deletion protection is all that is in the
 * way (the common case), DESTROY_BLOCKED otherwise. `details.blockers` lists them for --json.
 */
export function blockedError(blockers: Blocker[]): EbdbError {
  const onlyProtection = blockers.every((b) => b.problem.includes("deletion protection"));
  const fixes = [...new Set(blockers.map((b) => `${b.resource}: ${b.fix}`))];
  return userError(
    onlyProtection ? "DELETION_PROTECTED" : "DESTROY_BLOCKED",
    `ebdb destroy changed nothing: ${blockers.length === 1 ? "this would stop it" : `these ${blockers.length} would stop it`} midway:\n${blockers.map((b) => `  - ${b.problem}`).join("\n")}`,
    fixes.join("\n  "),
    { blockers },
  );
}

/**
 * Final snapshot names, chosen before the first change: `<id>-final-<YYYYMMDDhhmm>`, or with `-2`,
 * `-3`, ... when a snapshot already has that name (RDS: DBSnapshotAlreadyExists would fail the delete).
 */
export async function freeSnapshotNames(
  ids: string[],
  minute: string,
  exists: (name: string) => Promise<boolean>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of ids) {
    const base = `${id}-final-${minute}`;
    let name = base;
    for (let n = 2; await exists(name); n++) name = `${base}-${n}`;
    out.set(id, name);
  }
  return out;
}
