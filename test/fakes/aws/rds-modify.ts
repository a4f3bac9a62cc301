import type { ModifyDBInstanceCommandInput } from "@aws-sdk/client-rds";
import type { Ctx } from "./kit.js";
import {
  checkBackupRetention,
  checkClass,
  checkLogExports,
  checkPerformanceInsights,
  checkPort,
  checkWindowsApart,
  getSubnetGroup,
  parameterGroupFor,
  performanceInsightsKey,
  securityGroupsFor,
} from "./rds-build.js";
import { ENGINES, resolveVersion } from "./rds-catalog.js";
import { checkCa } from "./rds-certificates.js";
import {
  getInstance,
  instanceShape,
  managedSecretArn,
  RDS_TIMES,
  requireReady,
  runPhases,
} from "./rds-model.js";
import {
  checkIdentifier,
  checkMaxAllocated,
  checkPassword,
  checkStorage,
  checkWindow,
  nextWindowStart,
} from "./rds-validate.js";
import type { DbInstance, PendingValues, RegionState } from "./state.js";
import { startAutomatedBackups } from "./rds-snapshots.js";
import type { World } from "./world.js";

const STORAGE_KEYS = ["AllocatedStorage", "StorageType", "Iops", "StorageThroughput"] as const;

/**
 * ModifyDBInstance. Settings RDS applies at once whatever ApplyImmediately says (security groups,
 * backup and maintenance windows, deletion protection, Performance Insights, log exports, maximum
 * storage, parameter group association, password, port) change now; the others (class, storage,
 * Multi-AZ, engine version, identifier, CA, subnet group) go to PendingModifiedValues and are applied
 * now with ApplyImmediately, else in the next maintenance window.
 */
export function modifyDBInstance(ctx: Ctx, input: ModifyDBInstanceCommandInput): unknown {
  const inst = getInstance(ctx, input.DBInstanceIdentifier);
  requireReady(ctx, inst);
  const now = ctx.w.now();
  const cur = { ...inst, ...inst.pending } as DbInstance & PendingValues;
  const pend: PendingValues = {};

  if (input.DBInstanceClass !== undefined && input.DBInstanceClass !== cur.instanceClass) {
    pend.DBInstanceClass = checkClass(ctx, input.DBInstanceClass, inst.engine, inst.engineVersion);
  }
  if (input.MultiAZ !== undefined && input.MultiAZ !== inst.multiAz) pend.MultiAZ = input.MultiAZ;
  if (input.EngineVersion !== undefined) {
    const v = resolveVersion(inst.engine, input.EngineVersion);
    if (!v)
      throw ctx.err(
        "InvalidParameterCombination",
        `Cannot find version ${input.EngineVersion} for ${inst.engine}`,
      );
    if (v !== inst.engineVersion) {
      const fam = ENGINES[inst.engine].family;
      const older = v.localeCompare(inst.engineVersion, undefined, { numeric: true }) < 0;
      if (older)
        throw ctx.err(
          "InvalidParameterCombination",
          `Cannot upgrade ${inst.engine} from ${inst.engineVersion} to ${v}`,
        );
      if (fam(v) !== fam(inst.engineVersion) && !input.AllowMajorVersionUpgrade) {
        throw ctx.err(
          "InvalidParameterCombination",
          "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
        );
      }
      pend.EngineVersion = v;
    }
  }
  if (input.NewDBInstanceIdentifier !== undefined) {
    const nid = checkIdentifier(ctx, input.NewDBInstanceIdentifier, "NewDBInstanceIdentifier");
    if (nid !== inst.id) {
      if (ctx.r.rds.instances.has(nid))
        throw ctx.err("DBInstanceAlreadyExistsFault", "DB instance already exists");
      pend.DBInstanceIdentifier = nid;
    }
  }
  if (input.CACertificateIdentifier !== undefined) {
    const ca = checkCa(ctx, input.CACertificateIdentifier);
    if (ca !== inst.caCert) {
      pend.CACertificateIdentifier = ca;
      inst.caRotationRestart = input.CertificateRotationRestart;
    }
  }
  if (
    input.DBSubnetGroupName !== undefined &&
    input.DBSubnetGroupName.toLowerCase() !== inst.subnetGroupName
  ) {
    pend.DBSubnetGroupName = getSubnetGroup(ctx, input.DBSubnetGroupName).name;
  }

  // Storage: only grows, by at least 10%, not while optimizing nor within 6 hours of the last change.
  const storageAsked = {
    AllocatedStorage: input.AllocatedStorage,
    StorageType: input.StorageType,
    Iops: input.Iops,
    StorageThroughput: input.StorageThroughput,
  };
  const currentStorage = {
    AllocatedStorage: inst.allocatedStorage,
    StorageType: inst.storageType,
    Iops: inst.iops,
    StorageThroughput: inst.storageThroughput,
  };
  const storageChanged = STORAGE_KEYS.filter(
    (k) => storageAsked[k] !== undefined && storageAsked[k] !== currentStorage[k],
  );
  if (storageChanged.length > 0) {
    if (
      inst.status === "storage-optimization" ||
      (inst.lastStorageChange !== undefined && now - inst.lastStorageChange < RDS_TIMES.storageCooldown)
    ) {
      throw ctx.err(
        "InvalidParameterCombination",
        "You can't currently modify the storage of this DB instance because the previous storage change is being optimized or was made less than 6 hours ago.",
      );
    }
    const size = input.AllocatedStorage ?? inst.allocatedStorage;
    if (size < inst.allocatedStorage) {
      throw ctx.err(
        "InvalidParameterValue",
        `Requested storage size (${size}) cannot be less than the current storage size (${inst.allocatedStorage})`,
      );
    }
    if (size > inst.allocatedStorage && size < Math.ceil((inst.allocatedStorage * 11) / 10)) {
      throw ctx.err(
        "InvalidParameterValue",
        `Allocated storage size must be increased by at least 10%: from ${inst.allocatedStorage} to at least ${Math.ceil((inst.allocatedStorage * 11) / 10)} GiB.`,
      );
    }
    const type = input.StorageType ?? inst.storageType;
    const keepPerf = type === inst.storageType;
    checkStorage(ctx, {
      engine: inst.engine,
      storageType: type,
      allocated: size,
      iops: input.Iops ?? (keepPerf ? inst.iops : undefined),
      throughput: input.StorageThroughput ?? (keepPerf ? inst.storageThroughput : undefined),
      maxAllocated: undefined,
    });
    for (const k of storageChanged) (pend as Record<string, unknown>)[k] = storageAsked[k];
  }

  // Settings applied at once.
  const immediate: Partial<DbInstance> = {};
  let busy = 0;
  let reboot = false;
  if (input.MaxAllocatedStorage !== undefined) {
    const size = pend.AllocatedStorage ?? inst.allocatedStorage;
    // Setting the maximum to the allocated size turns storage autoscaling off.
    const max = input.MaxAllocatedStorage === size ? undefined : input.MaxAllocatedStorage;
    checkMaxAllocated(ctx, max, size);
    if (max !== inst.maxAllocatedStorage) immediate.maxAllocatedStorage = max;
  }
  if (input.VpcSecurityGroupIds !== undefined) {
    const g = getSubnetGroup(ctx, inst.subnetGroupName);
    const sgs = securityGroupsFor(ctx, g, input.VpcSecurityGroupIds);
    if ([...sgs].sort().join() !== [...inst.vpcSecurityGroupIds].sort().join()) {
      immediate.vpcSecurityGroupIds = sgs;
      busy = Math.max(busy, RDS_TIMES.paramApply);
    }
  }
  if (input.DBParameterGroupName !== undefined) {
    const pg = parameterGroupFor(
      ctx,
      input.DBParameterGroupName,
      ENGINES[inst.engine].family(pend.EngineVersion ?? inst.engineVersion),
    );
    if (pg !== inst.parameterGroupName) {
      immediate.parameterGroupName = pg;
      immediate.parameterApplyStatus = "pending-reboot";
      busy = Math.max(busy, RDS_TIMES.paramApply);
    }
  }
  if (input.BackupRetentionPeriod !== undefined && input.BackupRetentionPeriod !== inst.backupRetention) {
    checkBackupRetention(ctx, input.BackupRetentionPeriod);
    if (input.BackupRetentionPeriod === 0 && inst.replicaIds.length > 0) {
      throw ctx.err(
        "InvalidParameterCombination",
        "Cannot set the backup retention period to 0 for a DB instance that has read replicas.",
      );
    }
    // Between zero and non-zero is an outage and waits for the window unless applied immediately.
    if ((input.BackupRetentionPeriod === 0) !== (inst.backupRetention === 0))
      pend.BackupRetentionPeriod = input.BackupRetentionPeriod;
    else immediate.backupRetention = input.BackupRetentionPeriod;
  }
  checkWindow(ctx, input.PreferredBackupWindow, "backup");
  checkWindow(ctx, input.PreferredMaintenanceWindow, "maintenance");
  if (input.PreferredBackupWindow !== undefined && input.PreferredBackupWindow !== inst.backupWindow) {
    immediate.backupWindow = input.PreferredBackupWindow;
  }
  const mw = input.PreferredMaintenanceWindow?.toLowerCase();
  if (mw !== undefined && mw !== inst.maintenanceWindow) immediate.maintenanceWindow = mw;
  checkWindowsApart(
    ctx,
    immediate.backupWindow ?? inst.backupWindow,
    immediate.maintenanceWindow ?? inst.maintenanceWindow,
  );
  for (const [key, field] of [
    ["DeletionProtection", "deletionProtection"],
    ["CopyTagsToSnapshot", "copyTagsToSnapshot"],
    ["AutoMinorVersionUpgrade", "autoMinorVersionUpgrade"],
    ["PubliclyAccessible", "publiclyAccessible"],
  ] as const) {
    const v = input[key];
    if (v !== undefined && v !== inst[field]) immediate[field] = v;
  }
  if (
    input.EnablePerformanceInsights !== undefined ||
    input.PerformanceInsightsRetentionPeriod !== undefined
  ) {
    const enabled = input.EnablePerformanceInsights ?? inst.piEnabled;
    checkPerformanceInsights(
      ctx,
      inst.engine,
      pend.DBInstanceClass ?? inst.instanceClass,
      enabled,
      input.PerformanceInsightsRetentionPeriod,
    );
    const retention = enabled
      ? (input.PerformanceInsightsRetentionPeriod ?? inst.piRetention ?? 7)
      : undefined;
    if (enabled !== inst.piEnabled || retention !== inst.piRetention) {
      immediate.piEnabled = enabled;
      immediate.piRetention = retention;
      immediate.piKmsKeyArn = enabled
        ? (inst.piKmsKeyArn ?? performanceInsightsKey(ctx, input.PerformanceInsightsKMSKeyId))
        : undefined;
      busy = Math.max(busy, RDS_TIMES.paramApply);
    }
  }
  const logs = input.CloudwatchLogsExportConfiguration;
  if (logs) {
    checkLogExports(ctx, inst.engine, inst.engineVersion, logs.EnableLogTypes);
    const next = [...new Set([...inst.logExports, ...(logs.EnableLogTypes ?? [])])].filter(
      (t) => !(logs.DisableLogTypes ?? []).includes(t),
    );
    if (next.sort().join() !== [...inst.logExports].sort().join()) {
      immediate.logExports = next;
      busy = Math.max(busy, RDS_TIMES.paramApply);
    }
  }
  // RDS API Reference, ModifyDBInstance: MasterUserPassword "can't be specified if
  // ManageMasterUserPassword is turned on"; turning management on takes no MasterUserPassword (RDS
  // sets a password of its own in its secret); turning it off needs one (RDS deletes its secret).
  const managed = inst.masterUserSecretArn !== undefined;
  const manage = input.ManageMasterUserPassword;
  if (input.MasterUserPassword !== undefined && (manage === true || (managed && manage !== false))) {
    throw ctx.err(
      "InvalidParameterCombination",
      "You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.",
    );
  }
  if (manage === false && managed) {
    if (input.MasterUserPassword === undefined) {
      throw ctx.err(
        "InvalidParameterCombination",
        "You must specify MasterUserPassword when you turn off ManageMasterUserPassword.",
      );
    }
    immediate.masterUserSecretArn = undefined;
  }
  if (manage === true && !managed) {
    immediate.masterUserSecretArn = managedSecretArn(ctx, inst.resourceId);
    immediate.masterPassword = `rds-managed-${inst.resourceId}`;
    busy = Math.max(busy, RDS_TIMES.passwordReset);
  }
  if (input.MasterUserPassword !== undefined) {
    checkPassword(ctx, inst.engine, input.MasterUserPassword);
    immediate.masterPassword = input.MasterUserPassword;
    busy = Math.max(busy, RDS_TIMES.passwordReset);
  }
  if (input.DBPortNumber !== undefined && input.DBPortNumber !== inst.port) {
    checkPort(ctx, input.DBPortNumber);
    immediate.port = input.DBPortNumber;
    reboot = true;
  }

  const applyNow = input.ApplyImmediately === true;
  const pendingBefore = Object.keys(inst.pending).length > 0;
  if (Object.keys(pend).length === 0 && Object.keys(immediate).length === 0 && !(applyNow && pendingBefore)) {
    throw ctx.err("InvalidParameterCombination", "No modifications were requested");
  }
  Object.assign(inst, immediate);
  inst.pending = { ...inst.pending, ...pend };
  if (applyNow && Object.keys(inst.pending).length > 0) {
    applyPending(ctx.w, ctx.r, inst, reboot);
  } else {
    if (Object.keys(pend).length > 0) scheduleMaintenance(ctx.w, ctx.r, inst);
    if (reboot)
      runPhases(ctx.w, inst, [
        ["modifying", RDS_TIMES.modify],
        ["rebooting", RDS_TIMES.reboot],
      ]);
    else if (input.MasterUserPassword !== undefined)
      runPhases(ctx.w, inst, [["resetting-master-credentials", busy]]);
    else if (busy > 0) runPhases(ctx.w, inst, [["modifying", busy]]);
  }
  return { DBInstance: instanceShape(ctx, inst) };
}

/** Applies the pending modifications now: modifying for as long as the slowest of them takes. */
export function applyPending(w: World, r: RegionState, inst: DbInstance, reboot = false): void {
  const p = inst.pending;
  const storage = STORAGE_KEYS.some((k) => p[k] !== undefined);
  const others = Object.keys(p).some((k) => !(STORAGE_KEYS as readonly string[]).includes(k));
  let ms = storage && !others ? RDS_TIMES.storageModify : RDS_TIMES.modify;
  if (p.DBInstanceClass || p.EngineVersion || p.DBSubnetGroupName) ms = Math.max(ms, RDS_TIMES.classChange);
  if (p.MultiAZ) ms = Math.max(ms, RDS_TIMES.multiAzOn);
  if (storage) inst.lastStorageChange = w.now();
  // A new CA: RDS restarts the instance to load its new server certificate, unless the engine version
  // rotates certificates without a restart or the request said CertificateRotationRestart=false.
  const caRestart =
    p.CACertificateIdentifier !== undefined &&
    inst.caRotationRestart !== false &&
    !ENGINES[inst.engine]?.rotatesCertificateWithoutRestart(inst.engineVersion);
  const phases: [string, number][] = [["modifying", ms]];
  if (reboot || caRestart) phases.push(["rebooting", RDS_TIMES.reboot]);
  if (storage) phases.push(["storage-optimization", RDS_TIMES.storageOptimization]);
  const v = { ...inst.pending };
  const apply = () => {
    if (v.DBInstanceClass) inst.instanceClass = v.DBInstanceClass;
    if (v.AllocatedStorage !== undefined) inst.allocatedStorage = v.AllocatedStorage;
    if (v.StorageType !== undefined) {
      if (v.StorageType !== inst.storageType) {
        inst.iops = undefined;
        inst.storageThroughput = undefined;
      }
      inst.storageType = v.StorageType;
    }
    if (v.Iops !== undefined) inst.iops = v.Iops;
    if (v.StorageThroughput !== undefined) inst.storageThroughput = v.StorageThroughput;
    if (v.MultiAZ !== undefined) {
      inst.multiAz = v.MultiAZ;
      const g = r.rds.subnetGroups.get(inst.subnetGroupName);
      const azs = [
        ...new Set((g?.subnetIds ?? []).map((id) => r.ec2.subnets.get(id)?.AvailabilityZone ?? "")),
      ];
      inst.secondaryAz = v.MultiAZ ? azs.find((a) => a !== inst.az) : undefined;
    }
    if (v.EngineVersion) inst.engineVersion = v.EngineVersion;
    if (v.BackupRetentionPeriod !== undefined) {
      inst.backupRetention = v.BackupRetentionPeriod;
      if (v.BackupRetentionPeriod === 0) inst.backupsSince = undefined;
      else startAutomatedBackups(w, r, inst);
    }
    if (v.CACertificateIdentifier) {
      inst.caCert = v.CACertificateIdentifier;
      inst.caRotationRestart = undefined;
    }
    if (v.DBSubnetGroupName) inst.subnetGroupName = v.DBSubnetGroupName;
    if (v.DBInstanceIdentifier) {
      r.rds.instances.delete(inst.id);
      inst.id = v.DBInstanceIdentifier;
      inst.arn = inst.arn.replace(/:db:.*$/, `:db:${inst.id}`);
      r.rds.instances.set(inst.id, inst);
    }
    for (const k of Object.keys(v)) delete (inst.pending as Record<string, unknown>)[k];
  };
  // The changes take effect when modifying ends (storage optimization follows while the instance
  // serves), even if a later change supersedes the status phases.
  runPhases(w, inst, phases);
  w.clock.schedule(w.now() + ms, apply);
}

function scheduleMaintenance(w: World, r: RegionState, inst: DbInstance): void {
  const at = nextWindowStart(inst.maintenanceWindow, w.now());
  const resourceId = inst.resourceId;
  const attempt = () => {
    const live = [...r.rds.instances.values()].find((i) => i.resourceId === resourceId);
    if (!live || Object.keys(live.pending).length === 0) return;
    if (live.status !== "available" && live.status !== "storage-optimization") {
      w.clock.schedule(w.now() + 30 * 60_000, attempt);
      return;
    }
    applyPending(w, r, live);
  };
  w.clock.schedule(at, attempt);
}
