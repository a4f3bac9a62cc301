import { userError } from "../../errors.js";
import { desiredReplica, replicaIndex } from "../../model/desired.js";
import type { NodeStatus } from "../target.js";
import { fixAfterCreate } from "./apply.js";
import type { AwsCtx } from "./context.js";
import { createReplica, deleteInstance, readInstances, replicaZone, waitReady } from "./instances.js";
import { readSecurityGroups } from "./network.js";
import { replicaNodes, nodeOf } from "./status.js";
import { readSubnetGroup, zonesOf } from "./subnets.js";
import { rewire } from "./rewire.js";
import { replicaEndpoints } from "./wiring.js";

const MAX_REPLICAS = 15;

function countNote(ctx: AwsCtx, running: number): void {
  const r = ctx.desired.config.replicas;
  const autoscaling = r.enabled && r.min < r.max;
  if (autoscaling && running >= r.min && running <= r.max) return;
  ctx.io.event({
    type: "warning",
    message: `${running} read replica(s) now run, and config.env asks for ${r.enabled ? r.count : 0}: the next ebdb up changes it back.`,
    hint: `Set DB_READ_REPLICA_COUNT=${running}${r.enabled ? "" : " and DB_READ_REPLICA_ENABLED=true"} in config.env to keep it.`,
  });
}

/** Adds the next read replica (`<id>-replica-<n>`, the lowest free n) in the next zone, then wires it. */
export async function addReplica(ctx: AwsCtx): Promise<NodeStatus> {
  const d = ctx.desired;
  const { primary, replicas } = await readInstances(ctx.aws, d.identifier);
  if (!primary)
    throw userError(
      "NOT_CREATED",
      `${d.identifier} does not exist yet.`,
      "Run `ebdb up --target aws` first.",
    );
  if ((primary.BackupRetentionPeriod ?? 0) === 0) {
    throw userError(
      "BACKUPS_OFF",
      `${d.identifier} has automated backups off, and RDS makes read replicas only of an instance with backups.`,
      "Set DB_BACKUP_RETENTION_DAYS to 1 or more and run ebdb up first.",
    );
  }
  if (replicas.length >= MAX_REPLICAS) {
    throw userError(
      "TOO_MANY_REPLICAS",
      `${d.identifier} already has ${replicas.length} read replicas, RDS's maximum.`,
    );
  }
  const used = new Set(replicas.map((r) => replicaIndex(d.identifier, r.DBInstanceIdentifier!)));
  let n = 1;
  while (used.has(n)) n++;
  const want = desiredReplica(d.config, "aws", n);
  const sgId = primary.VpcSecurityGroups?.[0]?.VpcSecurityGroupId;
  const dbSg =
    sgId ??
    (await readSecurityGroups(ctx.aws, primary.DBSubnetGroup?.VpcId ?? "", [d.network.dbSecurityGroup])).get(
      d.network.dbSecurityGroup,
    )?.id;
  const group = await readSubnetGroup(
    ctx.aws,
    primary.DBSubnetGroup?.DBSubnetGroupName ?? d.network.subnetGroup,
  );
  await waitReady(ctx, d.identifier);
  await createReplica(
    ctx,
    want,
    dbSg ?? "",
    replicaZone(group ? zonesOf(group) : [], primary.AvailabilityZone, want.azIndex ?? 0),
  );
  const inst = await waitReady(ctx, want.name);
  await fixAfterCreate(ctx, want, inst, dbSg ?? "");
  await rewire(ctx);
  countNote(ctx, replicas.length + 1);
  return nodeOf(inst, "replica", null);
}

/** Removes a replica (the newest by default): the EB wiring stops naming it first, then it is deleted. */
export async function removeReplica(ctx: AwsCtx, name: string | undefined): Promise<void> {
  const d = ctx.desired;
  const { replicas } = await readInstances(ctx.aws, d.identifier);
  if (replicas.length === 0) throw userError("NO_REPLICA", `${d.identifier} has no read replica.`);
  const target = name
    ? replicas.find((r) => r.DBInstanceIdentifier === name)
    : [...replicas].sort(
        (a, b) =>
          (replicaIndex(d.identifier, b.DBInstanceIdentifier!) ?? 0) -
          (replicaIndex(d.identifier, a.DBInstanceIdentifier!) ?? 0),
      )[0];
  if (!target) {
    throw userError(
      "NO_SUCH_REPLICA",
      `${name} is not a read replica of ${d.identifier}.`,
      `Its replicas: ${replicas.map((r) => r.DBInstanceIdentifier).join(", ")}.`,
    );
  }
  // The application stops reading from it before it goes.
  await rewire(ctx, { replicaHosts: replicaEndpoints(replicas.filter((r) => r !== target)) ?? undefined });
  await deleteInstance(ctx, target.DBInstanceIdentifier!, null);
  await rewire(ctx);
  countNote(ctx, replicas.length - 1);
}

export async function listReplicas(ctx: AwsCtx): Promise<NodeStatus[]> {
  const { replicas } = await readInstances(ctx.aws, ctx.desired.identifier);
  return replicaNodes(ctx.aws, ctx.clock, replicas);
}
