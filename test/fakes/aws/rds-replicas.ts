import type {
  CreateDBInstanceReadReplicaCommandInput,
  PromoteReadReplicaCommandInput,
  RestoreDBInstanceFromDBSnapshotCommandInput,
  RestoreDBInstanceToPointInTimeCommandInput,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, write } from "./kit.js";
import {
  blankInstance,
  checkBackupRetention,
  checkClass,
  checkLogExports,
  checkPerformanceInsights,
  getSubnetGroup,
  parameterGroupFor,
  performanceInsightsKey,
  placeIn,
  securityGroupsFor,
} from "./rds-build.js";
import { ENGINES } from "./rds-catalog.js";
import { caFor } from "./rds-certificates.js";
import { createPhases } from "./rds-instances.js";
import {
  earliestRestorable,
  getInstance,
  instanceShape,
  latestRestorable,
  RDS_TIMES,
  READY_STATUSES,
  runPhases,
} from "./rds-model.js";
import { getSnapshot, startAutomatedBackups } from "./rds-snapshots.js";
import { checkIdentifier, checkMaxAllocated, checkStorage, resolveKmsKey } from "./rds-validate.js";
import type { DbInstance } from "./state.js";
import { mergeTags } from "./world.js";

const MAX_REPLICAS = 15;

function newInstanceId(ctx: Ctx, id: string | undefined, param: string): string {
  const nid = checkIdentifier(ctx, id, param);
  if (ctx.r.rds.instances.has(nid))
    throw ctx.err("DBInstanceAlreadyExistsFault", "DB instance already exists");
  return nid;
}

/** Settings every new instance built from a source (replica or restore) may take from the request. */
interface Common {
  DBInstanceClass?: string;
  AvailabilityZone?: string;
  DBSubnetGroupName?: string;
  MultiAZ?: boolean;
  VpcSecurityGroupIds?: string[];
  DBParameterGroupName?: string;
  PubliclyAccessible?: boolean;
  AutoMinorVersionUpgrade?: boolean;
  CopyTagsToSnapshot?: boolean;
  DeletionProtection?: boolean;
  EnableCloudwatchLogsExports?: string[];
  Tags?: { Key?: string; Value?: string }[];
  Port?: number;
  MaxAllocatedStorage?: number;
  CACertificateIdentifier?: string;
}

function fill(
  ctx: Ctx,
  inst: DbInstance,
  input: Common,
  fallbackSubnetGroup: string | undefined,
  fallbackClass: string,
): void {
  const group = getSubnetGroup(ctx, input.DBSubnetGroupName ?? fallbackSubnetGroup);
  const multiAz = input.MultiAZ ?? false;
  const place = placeIn(ctx, group, input.AvailabilityZone, multiAz);
  const cls = checkClass(ctx, input.DBInstanceClass ?? fallbackClass, inst.engine, inst.engineVersion);
  checkLogExports(ctx, inst.engine, inst.engineVersion, input.EnableCloudwatchLogsExports);
  checkMaxAllocated(ctx, input.MaxAllocatedStorage, inst.allocatedStorage);
  Object.assign(inst, {
    instanceClass: cls,
    subnetGroupName: group.name,
    multiAz,
    az: place.az,
    secondaryAz: multiAz ? place.secondaryAz : undefined,
    vpcSecurityGroupIds: securityGroupsFor(ctx, group, input.VpcSecurityGroupIds),
    publiclyAccessible: input.PubliclyAccessible ?? false,
    autoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? true,
    copyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
    deletionProtection: input.DeletionProtection ?? false,
    logExports: [...new Set(input.EnableCloudwatchLogsExports ?? [])],
    tags: mergeTags([], input.Tags),
    port: input.Port ?? inst.port,
    maxAllocatedStorage: input.MaxAllocatedStorage || undefined,
    // Replicas and restores get the region's default CA unless the request names one (not the source's).
    caCert: caFor(ctx, input.CACertificateIdentifier),
  } satisfies Partial<DbInstance>);
}

export const rdsReplicaHandlers: Handlers = {
  CreateDBInstanceReadReplica: write<CreateDBInstanceReadReplicaCommandInput>((ctx, input) => {
    const ref = input.SourceDBInstanceIdentifier ?? "";
    const arn = /^arn:aws:rds:([a-z0-9-]+):\d{12}:db:(.+)$/.exec(ref);
    const srcRegion = arn ? arn[1] : ctx.region;
    const crossRegion = srcRegion !== ctx.region;
    const srcCtx: Ctx = { ...ctx, region: srcRegion, r: ctx.w.region(srcRegion) };
    const src = getInstance(srcCtx, arn ? arn[2] : ref);
    const id = newInstanceId(ctx, input.DBInstanceIdentifier, "DBInstanceIdentifier");
    if (src.backupRetention <= 0) {
      throw ctx.err(
        "InvalidDBInstanceStateFault",
        "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.",
      );
    }
    if (!READY_STATUSES.includes(src.status)) {
      throw ctx.err(
        "InvalidDBInstanceStateFault",
        `DB Instance ${src.id} is not in available state (status: ${src.status}).`,
      );
    }
    if (src.replicaIds.length >= MAX_REPLICAS) {
      throw ctx.err(
        "InvalidParameterCombination",
        `Cannot create more than ${MAX_REPLICAS} read replicas for source DB instance ${src.id}.`,
      );
    }
    if (input.KmsKeyId && !src.storageEncrypted) {
      throw ctx.err(
        "InvalidParameterCombination",
        "Cannot create an encrypted read replica from an unencrypted DB instance.",
      );
    }
    let kmsKeyArn = src.kmsKeyArn;
    if (src.storageEncrypted && (crossRegion || input.KmsKeyId)) {
      if (!input.KmsKeyId) {
        throw ctx.err(
          "InvalidParameterCombination",
          "KmsKeyId is required to create an encrypted read replica in another AWS Region.",
        );
      }
      kmsKeyArn = resolveKmsKey(ctx, input.KmsKeyId).arn;
    }
    const inst = blankInstance(ctx, id, src.engine, src.engineVersion);
    Object.assign(inst, {
      masterUsername: src.masterUsername,
      masterPassword: src.masterPassword,
      dbName: src.dbName,
      port: src.port,
      allocatedStorage: input.AllocatedStorage ?? src.allocatedStorage,
      storageType: input.StorageType ?? src.storageType,
      iops: input.Iops ?? src.iops,
      storageThroughput: input.StorageThroughput ?? src.storageThroughput,
      storageEncrypted: src.storageEncrypted,
      kmsKeyArn,
      backupRetention: 0,
      backupWindow: src.backupWindow,
      maintenanceWindow: src.maintenanceWindow,
      replicaSource: crossRegion ? src.arn : src.id,
    } satisfies Partial<DbInstance>);
    checkStorage(ctx, {
      engine: inst.engine,
      storageType: inst.storageType,
      allocated: inst.allocatedStorage,
      iops: inst.iops,
      throughput: inst.storageThroughput,
      maxAllocated: undefined,
    });
    // Same Region: the source's subnet group and parameter group unless others are named.
    fill(ctx, inst, input, crossRegion ? undefined : src.subnetGroupName, src.instanceClass);
    inst.parameterGroupName = parameterGroupFor(
      ctx,
      input.DBParameterGroupName ?? (crossRegion ? undefined : src.parameterGroupName),
      ENGINES[inst.engine].family(inst.engineVersion),
    );
    checkPerformanceInsights(
      ctx,
      inst.engine,
      inst.instanceClass,
      input.EnablePerformanceInsights,
      input.PerformanceInsightsRetentionPeriod,
    );
    if (input.EnablePerformanceInsights) {
      inst.piEnabled = true;
      inst.piRetention = input.PerformanceInsightsRetentionPeriod ?? 7;
      inst.piKmsKeyArn = performanceInsightsKey(ctx, input.PerformanceInsightsKMSKeyId);
    }
    ctx.r.rds.instances.set(id, inst);
    src.replicaIds.push(crossRegion ? inst.arn : id);
    ctx.w.created("DBInstance", ctx.region, id);
    runPhases(ctx.w, inst, [["creating", RDS_TIMES.replicaCreate]], () => {
      inst.replicaLag = 0;
    });
    return { DBInstance: instanceShape(ctx, inst) };
  }),

  PromoteReadReplica: write<PromoteReadReplicaCommandInput>((ctx, input) => {
    const inst = getInstance(ctx, input.DBInstanceIdentifier);
    if (!inst.replicaSource)
      throw ctx.err("InvalidDBInstanceStateFault", `DB Instance ${inst.id} is not a read replica.`);
    if (inst.status !== "available")
      throw ctx.err("InvalidDBInstanceStateFault", `DB Instance ${inst.id} is not in available state.`);
    checkBackupRetention(ctx, input.BackupRetentionPeriod);
    const src = ctx.r.rds.instances.get(inst.replicaSource);
    if (src) src.replicaIds = src.replicaIds.filter((x) => x !== inst.id);
    inst.replicaSource = undefined;
    inst.backupRetention = input.BackupRetentionPeriod ?? 1;
    if (input.PreferredBackupWindow) inst.backupWindow = input.PreferredBackupWindow;
    runPhases(ctx.w, inst, [["modifying", RDS_TIMES.promote]], () =>
      startAutomatedBackups(ctx.w, ctx.r, inst),
    );
    return { DBInstance: instanceShape(ctx, inst) };
  }),

  RestoreDBInstanceFromDBSnapshot: write<RestoreDBInstanceFromDBSnapshotCommandInput>((ctx, input) => {
    const snap = getSnapshot(ctx, input.DBSnapshotIdentifier);
    if (snap.status !== "available") {
      throw ctx.err("InvalidDBSnapshotStateFault", `Snapshot ${snap.id} is not in available state.`);
    }
    const id = newInstanceId(ctx, input.DBInstanceIdentifier, "DBInstanceIdentifier");
    const inst = blankInstance(ctx, id, snap.engine, snap.engineVersion);
    Object.assign(inst, {
      masterUsername: snap.masterUsername,
      masterPassword: snap.masterPassword,
      dbName: snap.dbName,
      port: snap.port,
      allocatedStorage: input.AllocatedStorage ?? snap.allocatedStorage,
      storageType: input.StorageType ?? snap.storageType,
      iops: input.Iops ?? snap.iops,
      storageThroughput: input.StorageThroughput ?? snap.storageThroughput,
      storageEncrypted: snap.encrypted,
      kmsKeyArn: snap.kmsKeyArn,
      backupRetention: input.BackupRetentionPeriod ?? 1,
    } satisfies Partial<DbInstance>);
    return restore(ctx, inst, input, undefined, snap.instanceClass);
  }),

  RestoreDBInstanceToPointInTime: write<RestoreDBInstanceToPointInTimeCommandInput>((ctx, input) => {
    const src = input.SourceDbiResourceId
      ? [...ctx.r.rds.instances.values()].find((i) => i.resourceId === input.SourceDbiResourceId)
      : ctx.r.rds.instances.get((input.SourceDBInstanceIdentifier ?? "").toLowerCase());
    if (!src) {
      throw ctx.err(
        "DBInstanceNotFoundFault",
        `DBInstance ${input.SourceDBInstanceIdentifier ?? input.SourceDbiResourceId} not found.`,
        404,
      );
    }
    if (input.RestoreTime && input.UseLatestRestorableTime) {
      throw ctx.err(
        "InvalidParameterCombination",
        "Cannot specify both RestoreTime and UseLatestRestorableTime.",
      );
    }
    if (!input.RestoreTime && !input.UseLatestRestorableTime) {
      throw ctx.err(
        "InvalidParameterCombination",
        "You must specify RestoreTime or UseLatestRestorableTime.",
      );
    }
    const earliest = earliestRestorable(ctx.w, src);
    const latest = latestRestorable(ctx.w, src);
    if (earliest === undefined || latest === undefined) {
      throw ctx.err(
        "PointInTimeRestoreNotEnabledFault",
        `Point-in-time restore is not enabled for DB instance ${src.id}: automated backups are off or none has completed yet.`,
      );
    }
    const at = input.RestoreTime ? new Date(input.RestoreTime).getTime() : latest;
    if (at < earliest || at > latest) {
      throw ctx.err(
        "InvalidRestoreFault",
        `Restore time ${new Date(at).toISOString()} is not within the restorable window of ${src.id}: ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()}.`,
      );
    }
    const id = newInstanceId(ctx, input.TargetDBInstanceIdentifier, "TargetDBInstanceIdentifier");
    const inst = blankInstance(ctx, id, src.engine, src.engineVersion);
    Object.assign(inst, {
      masterUsername: src.masterUsername,
      masterPassword: src.masterPassword,
      dbName: src.dbName,
      port: src.port,
      allocatedStorage: input.AllocatedStorage ?? src.allocatedStorage,
      storageType: input.StorageType ?? src.storageType,
      iops: input.Iops ?? src.iops,
      storageThroughput: input.StorageThroughput ?? src.storageThroughput,
      storageEncrypted: src.storageEncrypted,
      kmsKeyArn: src.kmsKeyArn,
      backupRetention: input.BackupRetentionPeriod ?? src.backupRetention,
    } satisfies Partial<DbInstance>);
    return restore(ctx, inst, input, undefined, src.instanceClass);
  }),
};

/** A restored instance: the request's placement and settings, default parameter group unless named. */
function restore(
  ctx: Ctx,
  inst: DbInstance,
  input: Common & { BackupRetentionPeriod?: number },
  subnetGroup: string | undefined,
  cls: string,
): unknown {
  checkBackupRetention(ctx, input.BackupRetentionPeriod);
  checkStorage(ctx, {
    engine: inst.engine,
    storageType: inst.storageType,
    allocated: inst.allocatedStorage,
    iops: inst.iops,
    throughput: inst.storageThroughput,
    maxAllocated: undefined,
  });
  fill(ctx, inst, input, subnetGroup, cls);
  inst.parameterGroupName = parameterGroupFor(
    ctx,
    input.DBParameterGroupName,
    ENGINES[inst.engine].family(inst.engineVersion),
  );
  ctx.r.rds.instances.set(inst.id, inst);
  ctx.w.created("DBInstance", ctx.region, inst.id);
  createPhases(ctx, inst, RDS_TIMES.restore);
  return { DBInstance: instanceShape(ctx, inst) };
}
