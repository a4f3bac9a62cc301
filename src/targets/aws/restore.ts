import {
  type DBInstance,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
  RestoreDBInstanceToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { userError } from "../../errors.js";
import type { RestoreOptions, RestoreResult, RestoreSource } from "../target.js";
import { isAwsCode } from "./aws-errors.js";
import { type AwsCtx, tagList } from "./context.js";
import { readInstance, readInstances, waitReady } from "./instances.js";
import { modifyWithRetry } from "./modify.js";
import { rewire } from "./rewire.js";
import { readSecret } from "./secret.js";
import { defaultRestoreName } from "../../model/restore-name.js";
import { readSnapshot } from "./snapshots.js";

/** How many default names a restore tries before giving up (each taken by another restore). */
const MAX_NAME_TRIES = 20;

/** Settings a restored instance takes from its source: placement, security groups, parameters, class. */
function fromSource(
  ctx: AwsCtx,
  src: DBInstance,
): Omit<RestoreDBInstanceFromDBSnapshotCommandInput, "DBInstanceIdentifier"> {
  return {
    DBInstanceClass: src.DBInstanceClass,
    Port: src.Endpoint?.Port,
    MultiAZ: src.MultiAZ,
    DBSubnetGroupName: src.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: (src.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!),
    DBParameterGroupName: src.DBParameterGroups?.[0]?.DBParameterGroupName,
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: src.AutoMinorVersionUpgrade,
    CopyTagsToSnapshot: true,
    DeletionProtection: false,
    EnableCloudwatchLogsExports: src.EnabledCloudwatchLogsExports,
    // A restore gets the region's default CA unless named: the same CA as every instance of ebdb's.
    CACertificateIdentifier: ctx.desired.primary.caCertificateIdentifier,
    Tags: tagList(ctx.desired, { "ebdb:role": "restored", "ebdb:restored-from": src.DBInstanceIdentifier! }),
  };
}

/**
 * Restores into a NEW instance (never in place), with the source's security groups, subnet group and
 * parameter group: to a point in time, to the latest restorable time, or from a snapshot. With
 * `switch`, once it is available, the EB environment is pointed at it.
 */
export async function restoreInstance(
  ctx: AwsCtx,
  from: RestoreSource,
  as: string | undefined,
  opts: RestoreOptions = {},
): Promise<RestoreResult> {
  const d = ctx.desired;
  const id = d.identifier;
  const { primary } = await readInstances(ctx.aws, id);
  if (!primary)
    throw userError("NOT_CREATED", `${id} does not exist, so there is nothing to restore from or alongside.`);
  const startedAt = ctx.clock.now();
  let tries = 1;
  let name = as ?? defaultRestoreName(id, startedAt);
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(name) || name.includes("--") || name.endsWith("-")) {
    throw userError(
      "BAD_NAME",
      `--name ${name} is not a valid RDS identifier.`,
      "Use 1-63 letters, digits and single hyphens, starting with a letter.",
    );
  }
  // A default name taken (by another restore of the same second) moves to the next suffix.
  while (await readInstance(ctx.aws, name)) {
    if (as !== undefined || tries >= MAX_NAME_TRIES) {
      throw userError(
        "NAME_TAKEN",
        `An instance named ${name} already exists.`,
        "Choose another --name, or destroy that one first.",
      );
    }
    name = defaultRestoreName(id, startedAt, ++tries);
  }
  /** Sends a restore call; a default name that a concurrent restore took meanwhile moves to the next one. */
  const send = async (call: (name: string) => Promise<unknown>): Promise<void> => {
    for (;;) {
      try {
        await call(name);
        return;
      } catch (e) {
        const taken = isAwsCode(e, "DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists");
        if (!taken || as !== undefined || tries >= MAX_NAME_TRIES) throw e;
        name = defaultRestoreName(id, startedAt, ++tries);
      }
    }
  };
  const base = fromSource(ctx, primary);
  let restoredTo: string | null;
  if (from.kind === "snapshot") {
    const snap = await readSnapshot(ctx.aws, from.id);
    if (!snap)
      throw userError(
        "SNAPSHOT_NOT_FOUND",
        `Snapshot ${from.id} does not exist.`,
        "List them with `ebdb snapshot list`.",
      );
    if (snap.Status !== "available")
      throw userError("SNAPSHOT_NOT_READY", `Snapshot ${from.id} is ${snap.Status}, not available yet.`);
    restoredTo = snap.SnapshotCreateTime ? new Date(snap.SnapshotCreateTime).toISOString() : null;
    await send((n) =>
      ctx.aws.rds(
        new RestoreDBInstanceFromDBSnapshotCommand({
          ...base,
          DBInstanceIdentifier: n,
          DBSnapshotIdentifier: from.id,
          BackupRetentionPeriod: primary.BackupRetentionPeriod,
        }),
      ),
    );
  } else {
    if ((primary.BackupRetentionPeriod ?? 0) === 0) {
      throw userError(
        "PITR_OFF",
        `${id} has automated backups off, so there is no point in time to restore to.`,
        "Restore from a snapshot instead (--from-snapshot), or set DB_BACKUP_RETENTION_DAYS and run up.",
      );
    }
    const latest = primary.LatestRestorableTime ? new Date(primary.LatestRestorableTime) : null;
    if (!latest)
      throw userError(
        "PITR_NOT_READY",
        `${id} has no restorable time yet: its first automated backup has not finished.`,
      );
    if (from.kind === "time" && from.time.getTime() > latest.getTime()) {
      throw userError(
        "RESTORE_TIME_TOO_LATE",
        `${from.time.toISOString()} is after ${id}'s latest restorable time, ${latest.toISOString()}.`,
        "Choose an earlier time, or --latest.",
      );
    }
    restoredTo = from.kind === "time" ? from.time.toISOString() : latest.toISOString();
    try {
      await send((n) =>
        ctx.aws.rds(
          new RestoreDBInstanceToPointInTimeCommand({
            ...base,
            SourceDBInstanceIdentifier: id,
            TargetDBInstanceIdentifier: n,
            RestoreTime: from.kind === "time" ? from.time : undefined,
            UseLatestRestorableTime: from.kind === "latest" ? true : undefined,
            BackupRetentionPeriod: primary.BackupRetentionPeriod,
          }),
        ),
      );
    } catch (e) {
      // RDS knows the earliest restorable time; its answer names the window.
      if (isAwsCode(e, "InvalidRestoreFault", "PointInTimeRestoreNotEnabledFault")) {
        throw userError(
          "RESTORE_TIME_OUTSIDE",
          (e as Error).message.replace(/^RDS\.\w+ failed: \w+: /, ""),
          "Choose a time inside the window (ebdb status shows it).",
        );
      }
      throw e;
    }
  }
  let inst = await waitReady(ctx, name);
  // RDS keeps the snapshot's master password; ebdb gives the restore the current one (the secret's),
  // so that what `env` and the EB environment hand out logs in to it too (as on the local target).
  const secret = await readSecret(ctx.aws, d.secret.name);
  if (secret && !secret.deleted && secret.doc) {
    await modifyWithRetry(ctx, {
      DBInstanceIdentifier: name,
      MasterUserPassword: secret.doc.password,
      ApplyImmediately: true,
    });
    inst = await waitReady(ctx, name, { expectChange: true });
  }
  const host = inst.Endpoint?.Address ?? "";
  const port = inst.Endpoint?.Port ?? d.primary.port;
  if (opts.switch) {
    await rewire(ctx, { primaryHost: host, replicaHosts: [] });
    ctx.io.event({
      type: "warning",
      message: `The EB environment now uses ${name} (${host}).`,
      hint: `Set DB_INSTANCE_IDENTIFIER=${name} in config.env so ebdb manages it; otherwise the next ebdb up points the application back at ${id}.`,
    });
  }
  return { name, host, port, restoredTo };
}
