import { RestoreDBInstanceFromDBSnapshotCommand } from "@aws-sdk/client-rds";
import { isAwsCode } from "./aws-errors.js";
import { type AwsCtx, all, tagList } from "./context.js";
import { deleteInstance, readInstance, waitReady } from "./instances.js";
import { modifyWithRetry } from "./modify.js";
import type { AwsLive } from "./observe.js";
import { copySnapshotTo, createSnapshot, readSnapshot } from "./snapshots.js";
import type { NetworkState } from "./steps.js";

/** Names the replacement uses, fixed so an interrupted replacement resumes where it stopped. */
export function replacementNames(id: string): { snapshot: string; encrypted: string; old: string } {
  return { snapshot: `${id}-pre-encryption`, encrypted: `${id}-encrypted`, old: `${id}-unencrypted` };
}

/**
 * Replaces the primary by an encrypted copy under the same name: snapshot, copy of the snapshot
 * encrypted with the configured key (or aws/rds), replicas removed, the old instance renamed to
 * `<id>-unencrypted` (kept, for you to delete once satisfied), restore of the copy as `<id>`.
 * Writes made after the snapshot are not in the copy: stop the application's writes first.
 */
export async function replaceForEncryption(ctx: AwsCtx, live: AwsLive, net: NetworkState): Promise<void> {
  const d = ctx.desired;
  const id = d.identifier;
  const n = replacementNames(id);
  ctx.io.event({
    type: "info",
    message: `Replacing ${id} by an encrypted copy: snapshot ${n.snapshot} first`,
  });
  const snap = (await readSnapshot(ctx.aws, n.snapshot)) ?? (await createSnapshot(ctx, id, n.snapshot));
  const kms = d.primary.storage.kmsKeyId ?? "alias/aws/rds";
  await copySnapshotTo(ctx, ctx.aws, snap, n.encrypted, kms);
  await all(live.instances.replicas.map((r) => () => deleteInstance(ctx, r.DBInstanceIdentifier!, null)));
  await modifyWithRetry(ctx, {
    DBInstanceIdentifier: id,
    NewDBInstanceIdentifier: n.old,
    ApplyImmediately: true,
  });
  await waitReady(ctx, n.old);
  await restoreIfReplacing(ctx, net);
}

/** When an interrupted replacement left `<id>-unencrypted` and the encrypted copy, restores the copy as `<id>`. */
export async function restoreIfReplacing(ctx: AwsCtx, net: NetworkState): Promise<boolean> {
  const d = ctx.desired;
  const n = replacementNames(d.identifier);
  const copy = await readSnapshot(ctx.aws, n.encrypted);
  if (!copy || !(await readInstance(ctx.aws, n.old))) return false;
  const p = d.primary;
  try {
    await ctx.aws.rds(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: d.identifier,
        DBSnapshotIdentifier: n.encrypted,
        DBInstanceClass: p.instanceClass,
        Port: p.port,
        MultiAZ: p.multiAz,
        DBSubnetGroupName: d.network.subnetGroup,
        VpcSecurityGroupIds: [net.dbSg.id],
        DBParameterGroupName: p.parameterGroup,
        PubliclyAccessible: false,
        AutoMinorVersionUpgrade: p.autoMinorVersionUpgrade,
        CopyTagsToSnapshot: true,
        DeletionProtection: p.deletionProtection,
        BackupRetentionPeriod: p.backup.retentionDays,
        EnableCloudwatchLogsExports: p.logExports,
        CACertificateIdentifier: p.caCertificateIdentifier,
        Tags: tagList(d, { "ebdb:role": "primary" }),
      }),
    );
  } catch (e) {
    if (!isAwsCode(e, "DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists")) throw e;
  }
  await waitReady(ctx, d.identifier);
  ctx.io.event({
    type: "warning",
    message: `${d.identifier} now runs encrypted from snapshot ${n.encrypted}; the unencrypted instance is kept as ${n.old}.`,
    hint: `Check the data, then delete ${n.old} and the snapshots ${n.snapshot} and ${n.encrypted}.`,
  });
  return true;
}
