import type {
  CreateDBInstanceCommandInput,
  DeleteDBInstanceCommandInput,
  DescribeDBInstancesCommandInput,
  RebootDBInstanceCommandInput,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import {
  blankInstance,
  checkBackupRetention,
  checkClass,
  checkLogExports,
  checkPerformanceInsights,
  checkPort,
  checkWindowsApart,
  getSubnetGroup,
  parameterGroupFor,
  performanceInsightsKey,
  placeIn,
  securityGroupsFor,
} from "./rds-build.js";
import { ENGINES, resolveVersion } from "./rds-catalog.js";
import { caFor } from "./rds-certificates.js";
import { modifyDBInstance } from "./rds-modify.js";
import {
  getInstance,
  instanceShape,
  managedSecretArn,
  RDS_TIMES,
  requireReady,
  runPhases,
} from "./rds-model.js";
import { newSnapshotId, startAutomatedBackups, takeSnapshot } from "./rds-snapshots.js";
import {
  checkIdentifier,
  checkPassword,
  checkStorage,
  checkUsername,
  checkWindow,
  resolveKmsKey,
} from "./rds-validate.js";
import type { DbInstance } from "./state.js";
import { mergeTags } from "./world.js";

export function checkEngine(
  ctx: Ctx,
  engine: string | undefined,
  version: string | undefined,
): [string, string] {
  if (!engine || !ENGINES[engine]) throw ctx.err("InvalidParameterValue", `Invalid DB engine: ${engine}`);
  const v = resolveVersion(engine, version);
  if (!v) throw ctx.err("InvalidParameterCombination", `Cannot find version ${version} for ${engine}`);
  return [engine, v];
}

/** The usual end of a new instance's creation: available, then automated backups begin. */
export function createPhases(ctx: Ctx, inst: DbInstance, createMs: number): void {
  const phases: [string, number][] = [["creating", createMs]];
  if (inst.backupRetention > 0) phases.push(["backing-up", RDS_TIMES.initialBackup]);
  runPhases(ctx.w, inst, phases, () => startAutomatedBackups(ctx.w, ctx.r, inst));
}

export const rdsInstanceHandlers: Handlers = {
  CreateDBInstance: write<CreateDBInstanceCommandInput>((ctx, input) => {
    const id = checkIdentifier(ctx, input.DBInstanceIdentifier, "DBInstanceIdentifier");
    const [engine, version] = checkEngine(ctx, input.Engine, input.EngineVersion);
    const cls = checkClass(ctx, input.DBInstanceClass, engine, version);
    const username = checkUsername(ctx, engine, input.MasterUsername);
    if (input.ManageMasterUserPassword && input.MasterUserPassword) {
      throw ctx.err(
        "InvalidParameterCombination",
        "You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.",
      );
    }
    if (!input.ManageMasterUserPassword && !input.MasterUserPassword) {
      throw ctx.err(
        "InvalidParameterValue",
        "The parameter MasterUserPassword must be provided and must not be blank.",
      );
    }
    checkPassword(ctx, engine, input.MasterUserPassword);
    if (ctx.r.rds.instances.has(id))
      throw ctx.err("DBInstanceAlreadyExistsFault", "DB instance already exists");
    if (input.AllocatedStorage === undefined) {
      throw ctx.err(
        "InvalidParameterValue",
        "Invalid storage size for engine: AllocatedStorage is required.",
      );
    }
    const storageType = input.StorageType ?? (input.Iops !== undefined ? "io1" : "gp3");
    checkStorage(ctx, {
      engine,
      storageType,
      allocated: input.AllocatedStorage,
      iops: input.Iops,
      throughput: input.StorageThroughput,
      maxAllocated: input.MaxAllocatedStorage,
    });
    if (input.KmsKeyId && !input.StorageEncrypted) {
      throw ctx.err(
        "InvalidParameterCombination",
        "Encryption must be enabled (StorageEncrypted) when you specify a KMS key.",
      );
    }
    const kms = input.StorageEncrypted ? resolveKmsKey(ctx, input.KmsKeyId) : undefined;
    const group = getSubnetGroup(ctx, input.DBSubnetGroupName);
    const multiAz = input.MultiAZ ?? false;
    const place = placeIn(ctx, group, input.AvailabilityZone, multiAz);
    const sgs = securityGroupsFor(ctx, group, input.VpcSecurityGroupIds);
    const pg = parameterGroupFor(ctx, input.DBParameterGroupName, ENGINES[engine].family(version));
    checkBackupRetention(ctx, input.BackupRetentionPeriod);
    checkWindow(ctx, input.PreferredBackupWindow, "backup");
    checkWindow(ctx, input.PreferredMaintenanceWindow, "maintenance");
    checkPerformanceInsights(
      ctx,
      engine,
      cls,
      input.EnablePerformanceInsights,
      input.PerformanceInsightsRetentionPeriod,
    );
    checkLogExports(ctx, engine, version, input.EnableCloudwatchLogsExports);
    checkPort(ctx, input.Port);
    if (input.DBName !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(input.DBName)) {
      throw ctx.err(
        "InvalidParameterValue",
        `The parameter DBName is not a valid identifier: ${input.DBName}. It must begin with a letter and contain only alphanumeric characters or underscores.`,
      );
    }

    const inst = blankInstance(ctx, id, engine, version);
    Object.assign(inst, {
      instanceClass: cls,
      masterUsername: username,
      masterPassword: input.MasterUserPassword,
      masterUserSecretArn: input.ManageMasterUserPassword
        ? managedSecretArn(ctx, inst.resourceId)
        : undefined,
      dbName: input.DBName,
      port: input.Port ?? inst.port,
      allocatedStorage: input.AllocatedStorage,
      maxAllocatedStorage: input.MaxAllocatedStorage || undefined,
      storageType,
      iops: input.Iops,
      storageThroughput: input.StorageThroughput,
      storageEncrypted: input.StorageEncrypted ?? false,
      kmsKeyArn: kms?.arn,
      multiAz,
      az: place.az,
      secondaryAz: multiAz ? place.secondaryAz : undefined,
      publiclyAccessible: input.PubliclyAccessible ?? false,
      vpcSecurityGroupIds: sgs,
      subnetGroupName: group.name,
      parameterGroupName: pg,
      backupRetention: input.BackupRetentionPeriod ?? 1,
      backupWindow: input.PreferredBackupWindow ?? inst.backupWindow,
      maintenanceWindow: (input.PreferredMaintenanceWindow ?? inst.maintenanceWindow).toLowerCase(),
      deletionProtection: input.DeletionProtection ?? false,
      copyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
      autoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? true,
      piEnabled: input.EnablePerformanceInsights ?? false,
      piRetention: input.EnablePerformanceInsights
        ? (input.PerformanceInsightsRetentionPeriod ?? 7)
        : undefined,
      piKmsKeyArn: input.EnablePerformanceInsights
        ? performanceInsightsKey(ctx, input.PerformanceInsightsKMSKeyId)
        : undefined,
      logExports: [...new Set(input.EnableCloudwatchLogsExports ?? [])],
      caCert: caFor(ctx, input.CACertificateIdentifier),
      tags: mergeTags([], input.Tags),
    } satisfies Partial<DbInstance>);
    checkWindowsApart(ctx, inst.backupWindow, inst.maintenanceWindow);
    ctx.r.rds.instances.set(id, inst);
    ctx.w.created("DBInstance", ctx.region, id);
    createPhases(ctx, inst, RDS_TIMES.create);
    return { DBInstance: instanceShape(ctx, inst) };
  }),

  DescribeDBInstances: read<DescribeDBInstancesCommandInput>((ctx, input) => {
    let list: DbInstance[];
    if (input.DBInstanceIdentifier) {
      const ref = input.DBInstanceIdentifier;
      const id = ref.startsWith("arn:") ? ref.split(":").pop() : ref;
      const inst = getInstance(ctx, id);
      if (!ctx.w.visible("DBInstance", ctx.region, inst.id)) {
        throw ctx.err("DBInstanceNotFoundFault", `DBInstance ${ref} not found.`, 404);
      }
      list = [inst];
    } else {
      list = [...ctx.r.rds.instances.values()]
        .filter((i) => ctx.w.visible("DBInstance", ctx.region, i.id))
        .sort((a, b) => a.id.localeCompare(b.id));
    }
    for (const f of input.Filters ?? []) {
      const vals = f.Values ?? [];
      if (f.Name === "db-instance-id") list = list.filter((i) => vals.includes(i.id) || vals.includes(i.arn));
      else if (f.Name === "dbi-resource-id") list = list.filter((i) => vals.includes(i.resourceId));
      else if (f.Name === "engine") list = list.filter((i) => vals.includes(i.engine));
      else if (f.Name === "db-cluster-id") list = [];
      else throw ctx.err("InvalidParameterValue", `Unrecognized filter name: ${f.Name}`);
    }
    const page = ctx.w.page("rds", list, input.Marker, input.MaxRecords, {
      min: 20,
      max: 100,
      param: "MaxRecords",
    });
    return { DBInstances: page.items.map((i) => instanceShape(ctx, i)), Marker: page.next };
  }),

  ModifyDBInstance: write(modifyDBInstance),

  DeleteDBInstance: write<DeleteDBInstanceCommandInput>((ctx, input) => {
    const inst = getInstance(ctx, input.DBInstanceIdentifier);
    if (inst.status === "deleting") {
      throw ctx.err("InvalidDBInstanceStateFault", `Instance ${inst.id} is already being deleted.`);
    }
    if (inst.deletionProtection) {
      throw ctx.err(
        "InvalidParameterCombination",
        "Cannot delete protected DB Instance, please disable deletion protection and try again.",
      );
    }
    const isReplica = inst.replicaSource !== undefined;
    let finalId: string | undefined;
    if (isReplica) {
      if (input.FinalDBSnapshotIdentifier) {
        throw ctx.err(
          "InvalidParameterCombination",
          "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance",
        );
      }
    } else if (input.SkipFinalSnapshot) {
      if (input.FinalDBSnapshotIdentifier) {
        throw ctx.err(
          "InvalidParameterCombination",
          "FinalDBSnapshotIdentifier can not be specified when SkipFinalSnapshot is enabled",
        );
      }
    } else {
      if (!input.FinalDBSnapshotIdentifier) {
        throw ctx.err(
          "InvalidParameterCombination",
          "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
        );
      }
      finalId = newSnapshotId(ctx, input.FinalDBSnapshotIdentifier, "FinalDBSnapshotIdentifier");
      if (inst.status === "creating") {
        throw ctx.err(
          "InvalidDBInstanceStateFault",
          `Instance ${inst.id} is still being created; a final snapshot cannot be taken.`,
        );
      }
    }
    if (finalId) takeSnapshot(ctx.w, ctx.r, inst, finalId, "manual", []);
    const w = ctx.w;
    const r = ctx.r;
    runPhases(
      w,
      inst,
      [["deleting", RDS_TIMES.delete]],
      () => {
        r.rds.instances.delete(inst.id);
        if (inst.replicaSource) {
          const src = r.rds.instances.get(inst.replicaSource);
          if (src) src.replicaIds = src.replicaIds.filter((x) => x !== inst.id);
        }
        // Replicas of a deleted source become standalone instances, as RDS does.
        for (const rid of inst.replicaIds) {
          const rep = r.rds.instances.get(rid);
          if (rep) rep.replicaSource = undefined;
        }
        if (input.DeleteAutomatedBackups !== false) {
          for (const s of [...r.rds.snapshots.values()]) {
            if (s.type === "automated" && s.instanceResourceId === inst.resourceId)
              r.rds.snapshots.delete(s.id);
          }
        }
      },
      "deleted",
    );
    return { DBInstance: instanceShape(ctx, inst) };
  }),

  RebootDBInstance: write<RebootDBInstanceCommandInput>((ctx, input) => {
    const inst = getInstance(ctx, input.DBInstanceIdentifier);
    requireReady(ctx, inst, "reboot");
    if (input.ForceFailover && !inst.multiAz) {
      throw ctx.err(
        "InvalidParameterCombination",
        "ForceFailover can only be used with Multi-AZ DB instances.",
      );
    }
    runPhases(ctx.w, inst, [["rebooting", RDS_TIMES.reboot]], () => {
      inst.parameterApplyStatus = "in-sync";
      if (input.ForceFailover && inst.secondaryAz) [inst.az, inst.secondaryAz] = [inst.secondaryAz, inst.az];
    });
    return { DBInstance: instanceShape(ctx, inst) };
  }),
};
