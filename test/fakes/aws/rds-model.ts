import type { DBInstance, DBSubnetGroup as SdkSubnetGroup } from "@aws-sdk/client-rds";
import type { Ctx } from "./kit.js";
import { serverCertificateValidTill } from "./rds-certificates.js";
import type { DbInstance, DbSubnetGroup, RegionState } from "./state.js";
import type { World } from "./world.js";

const MIN = 60_000;

/** Simulated durations of RDS operations (ms). Tests and SPEC.md refer to these. */
export const RDS_TIMES = {
  create: 8 * MIN,
  initialBackup: 3 * MIN,
  modify: 4 * MIN,
  classChange: 10 * MIN,
  multiAzOn: 15 * MIN,
  storageModify: 3 * MIN,
  storageOptimization: 60 * MIN,
  /** No storage change within this time of the last one (nor while optimizing). */
  storageCooldown: 6 * 60 * MIN,
  reboot: 2 * MIN,
  delete: 5 * MIN,
  replicaCreate: 12 * MIN,
  restore: 10 * MIN,
  promote: 5 * MIN,
  snapshot: 4 * MIN,
  copySnapshot: 8 * MIN,
  crossRegionCopy: 20 * MIN,
  paramApply: 1 * MIN,
  passwordReset: 1 * MIN,
  /** LatestRestorableTime trails the clock by this much. */
  restoreLag: 5 * MIN,
} as const;

/** Statuses from which ModifyDBInstance, snapshots and replicas are accepted. */
export const READY_STATUSES = ["available", "storage-optimization"];

export function instanceArn(w: World, region: string, id: string): string {
  return `arn:aws:rds:${region}:${w.accountId}:db:${id}`;
}

/** The instance, or DBInstanceNotFound as RDS says it. */
/**
 * The ARN of the secret RDS makes for an instance with ManageMasterUserPassword, named `rds!db-<id>`
 * (RDS User Guide, "Password management with Amazon RDS and AWS Secrets Manager"). The fake does not
 * put the secret in its Secrets Manager.
 */
export function managedSecretArn(ctx: Ctx, resourceId: string): string {
  return `arn:aws:secretsmanager:${ctx.region}:${ctx.w.accountId}:secret:rds!${resourceId.toLowerCase()}-Ab12Cd`;
}

export function getInstance(ctx: Ctx, id: string | undefined): DbInstance {
  const key = (id ?? "").toLowerCase();
  const inst = ctx.r.rds.instances.get(key);
  if (!inst) throw ctx.err("DBInstanceNotFoundFault", `DBInstance ${id} not found.`, 404);
  return inst;
}

export function requireReady(ctx: Ctx, inst: DbInstance, what = "modify"): void {
  if (!READY_STATUSES.includes(inst.status)) {
    throw ctx.err(
      "InvalidDBInstanceStateFault",
      what === "modify"
        ? `Database instance is not in available state.`
        : `DB instance ${inst.id} is not in available state (status: ${inst.status}); cannot ${what}.`,
    );
  }
}

/**
 * Puts the instance through `phases` (status, duration) on the clock, ending `available`, then runs
 * `done`. A later call supersedes an earlier one's remaining phases.
 */
export function runPhases(
  w: World,
  inst: DbInstance,
  phases: [status: string, ms: number][],
  done?: () => void,
  final = "available",
): void {
  const epoch = ++inst.epoch;
  let at = w.now();
  inst.status = phases[0]?.[0] ?? final;
  phases.forEach(([, ms], i) => {
    at += ms;
    w.clock.schedule(at, () => {
      if (inst.epoch !== epoch) return;
      const next = phases[i + 1];
      if (next) {
        inst.status = next[0];
      } else {
        inst.status = final;
        done?.();
      }
    });
  });
  if (phases.length === 0) done?.();
}

export function subnetGroupShape(r: RegionState, g: DbSubnetGroup, arn = true): SdkSubnetGroup {
  return {
    DBSubnetGroupName: g.name,
    DBSubnetGroupDescription: g.description,
    VpcId: g.vpcId,
    SubnetGroupStatus: "Complete",
    Subnets: g.subnetIds.map((id) => ({
      SubnetIdentifier: id,
      SubnetAvailabilityZone: { Name: r.ec2.subnets.get(id)?.AvailabilityZone },
      SubnetOutpost: {},
      SubnetStatus: "Active",
    })),
    DBSubnetGroupArn: arn ? g.arn : undefined,
    SupportedNetworkTypes: ["IPV4"],
  };
}

function minute(ms: number): Date {
  return new Date(Math.floor(ms / MIN) * MIN);
}

/** Start of the restorable window, or undefined when backups are off or none has finished yet. */
export function earliestRestorable(w: World, inst: DbInstance): number | undefined {
  if (inst.backupRetention <= 0 || inst.backupsSince === undefined) return undefined;
  return Math.max(inst.backupsSince, w.now() - inst.backupRetention * 86_400_000);
}

export function latestRestorable(w: World, inst: DbInstance): number | undefined {
  const earliest = earliestRestorable(w, inst);
  if (earliest === undefined) return undefined;
  return Math.max(earliest, w.now() - RDS_TIMES.restoreLag);
}

/** The DBInstance shape DescribeDBInstances returns. */
export function instanceShape(ctx: Ctx, inst: DbInstance): DBInstance {
  const r = ctx.r;
  const group = r.rds.subnetGroups.get(inst.subnetGroupName);
  const latest = latestRestorable(ctx.w, inst);
  const pending = { ...inst.pending };
  const endpoint =
    inst.status === "creating"
      ? undefined
      : {
          Address: `${inst.id}.${r.rds.endpointSuffix}.${ctx.region}.rds.amazonaws.com`,
          Port: inst.port,
          HostedZoneId: "Z2R2ITUGPM61AM",
        };
  const isReplica = inst.replicaSource !== undefined;
  return {
    DBInstanceIdentifier: inst.id,
    DBInstanceClass: inst.instanceClass,
    Engine: inst.engine,
    DBInstanceStatus: inst.status,
    MasterUsername: inst.masterUsername,
    ...(inst.masterUserSecretArn
      ? { MasterUserSecret: { SecretArn: inst.masterUserSecretArn, SecretStatus: "active" } }
      : {}),
    DBName: inst.dbName,
    Endpoint: endpoint,
    AllocatedStorage: inst.allocatedStorage,
    InstanceCreateTime: inst.status === "creating" ? undefined : new Date(inst.createdAt),
    PreferredBackupWindow: inst.backupWindow,
    BackupRetentionPeriod: inst.backupRetention,
    DBSecurityGroups: [],
    VpcSecurityGroups: inst.vpcSecurityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: "active" })),
    DBParameterGroups: [
      { DBParameterGroupName: inst.parameterGroupName, ParameterApplyStatus: inst.parameterApplyStatus },
    ],
    AvailabilityZone: inst.status === "creating" ? undefined : inst.az,
    DBSubnetGroup: group ? subnetGroupShape(r, group, false) : undefined,
    PreferredMaintenanceWindow: inst.maintenanceWindow,
    PendingModifiedValues: pending,
    LatestRestorableTime: latest === undefined ? undefined : minute(latest),
    MultiAZ: inst.multiAz,
    EngineVersion: inst.engineVersion,
    AutoMinorVersionUpgrade: inst.autoMinorVersionUpgrade,
    ReadReplicaSourceDBInstanceIdentifier: inst.replicaSource,
    ReadReplicaDBInstanceIdentifiers: [...inst.replicaIds],
    ReplicaMode: isReplica ? "open-read-only" : undefined,
    LicenseModel: inst.engine === "postgres" ? "postgresql-license" : "general-public-license",
    Iops: inst.iops ?? baselineIops(inst),
    StorageThroughput: inst.storageType === "gp3" ? (inst.storageThroughput ?? baselineThroughput(inst)) : 0,
    OptionGroupMemberships: [
      { OptionGroupName: `default:${inst.engine}-${inst.engineVersion.split(".")[0]}`, Status: "in-sync" },
    ],
    SecondaryAvailabilityZone: inst.multiAz && inst.status !== "creating" ? inst.secondaryAz : undefined,
    PubliclyAccessible: inst.publiclyAccessible,
    StatusInfos: isReplica
      ? [
          {
            StatusType: "read replication",
            Normal: true,
            Status: inst.status === "available" ? "replicating" : "pending",
          },
        ]
      : undefined,
    StorageType: inst.storageType,
    DbInstancePort: 0,
    StorageEncrypted: inst.storageEncrypted,
    KmsKeyId: inst.storageEncrypted ? inst.kmsKeyArn : undefined,
    DbiResourceId: inst.resourceId,
    CACertificateIdentifier: inst.caCert,
    DomainMemberships: [],
    CopyTagsToSnapshot: inst.copyTagsToSnapshot,
    MonitoringInterval: 0,
    DBInstanceArn: inst.arn,
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: inst.piEnabled,
    PerformanceInsightsKMSKeyId: inst.piEnabled ? inst.piKmsKeyArn : undefined,
    PerformanceInsightsRetentionPeriod: inst.piEnabled ? inst.piRetention : undefined,
    EnabledCloudwatchLogsExports: inst.logExports.length > 0 ? [...inst.logExports] : undefined,
    DeletionProtection: inst.deletionProtection,
    AssociatedRoles: [],
    MaxAllocatedStorage: inst.maxAllocatedStorage,
    TagList: inst.tags.map((t) => ({ ...t })),
    CustomerOwnedIpEnabled: false,
    BackupTarget: "region",
    NetworkType: "IPV4",
    CertificateDetails: { CAIdentifier: inst.caCert, ValidTill: serverCertificateValidTill(inst.caCert) },
    DedicatedLogVolume: false,
    IsStorageConfigUpgradeAvailable: false,
    EngineLifecycleSupport: "open-source-rds-extended-support",
  };
}

export function baselineIops(inst: { storageType: string; allocatedStorage: number }): number | undefined {
  if (inst.storageType === "gp3") return inst.allocatedStorage >= 400 ? 12000 : 3000;
  return undefined;
}

export function baselineThroughput(inst: { allocatedStorage: number }): number {
  return inst.allocatedStorage >= 400 ? 500 : 125;
}
