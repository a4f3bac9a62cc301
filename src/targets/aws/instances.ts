import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
} from "@aws-sdk/client-rds";
import { replicaIndex, replicaName } from "../../model/desired.js";
import type { DesiredInstance } from "../../model/desired-types.js";
import type { ObservedInstance } from "../../model/observed.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";
import { waitFor } from "./wait.js";

/** Tag ebdb keeps on an instance: when it last changed the storage (RDS allows one change per 6 hours). */
export const STORAGE_TAG = "ebdb:last-storage-change";
/** Statuses in which an instance serves and accepts modifications. */
export const READY = new Set(["available", "storage-optimization"]);
const MAX_REPLICAS = 15;

export interface LiveInstances {
  primary: DBInstance | null;
  /** Our read replicas (`<id>-replica-<n>`, and those `ebdb adopt` tagged), in index order. */
  replicas: DBInstance[];
}

/**
 * Tags `ebdb adopt` puts on a read replica it found under another name: the primary it replicates and
 * its index among ebdb's replicas (it keeps its name: renaming would move its endpoint).
 */
export const REPLICA_OF_TAG = "ebdb:replica-of";
export const REPLICA_INDEX_TAG = "ebdb:replica-index";

/** A replica's index: from its name (`<id>-replica-<n>`) or, for an adopted one, its tag. */
export function replicaIndexOf(id: string, i: DBInstance): number | null {
  const tagged = Number(tagValue(i, REPLICA_INDEX_TAG));
  if (tagValue(i, REPLICA_OF_TAG) === id && Number.isInteger(tagged) && tagged > 0) return tagged;
  return replicaIndex(id, i.DBInstanceIdentifier ?? "");
}

async function describeByIds(aws: AwsClients, names: string[]): Promise<DBInstance[]> {
  const found: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const r = await aws.rds(
      new DescribeDBInstancesCommand({
        Filters: [{ Name: "db-instance-id", Values: names }],
        Marker: marker,
      }),
    );
    found.push(...(r.DBInstances ?? []));
    marker = r.Marker;
  } while (marker);
  return found;
}

/**
 * The primary and its replicas in one call (RDS filters by up to 16 identifiers); a second call only
 * when the primary has replicas under other names, to find those `ebdb adopt` tagged as ours.
 */
export async function readInstances(aws: AwsClients, id: string): Promise<LiveInstances> {
  const names = [id, ...Array.from({ length: MAX_REPLICAS }, (_, i) => replicaName(id, i + 1))];
  const found = await describeByIds(aws, names);
  const primary = found.find((i) => i.DBInstanceIdentifier === id) ?? null;
  const others = (primary?.ReadReplicaDBInstanceIdentifiers ?? []).filter((n) => !names.includes(n));
  if (others.length > 0) {
    const adopted = await describeByIds(aws, others.slice(0, 100));
    found.push(...adopted.filter((i) => tagValue(i, REPLICA_OF_TAG) === id));
  }
  const replicas = found
    .filter((i) => i.DBInstanceIdentifier !== id && i.DBInstanceStatus !== "deleting")
    .sort((a, b) => (replicaIndexOf(id, a) ?? 99) - (replicaIndexOf(id, b) ?? 99));
  return { primary, replicas };
}

/** Every instance of the region (paged). */
export async function listAllInstances(aws: AwsClients): Promise<DBInstance[]> {
  const out: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const r = await aws.rds(new DescribeDBInstancesCommand({ Marker: marker }));
    out.push(...(r.DBInstances ?? []));
    marker = r.Marker;
  } while (marker);
  return out;
}

/** Whether `restore` made this instance from this database (tagged ebdb:restored-from, same app and env). */
export function isRestoredFrom(
  i: DBInstance,
  desired: { identifier: string; tags: Record<string, string> },
): boolean {
  const tag = (k: string) => i.TagList?.find((t) => t.Key === k)?.Value;
  return (
    tag("ebdb:restored-from") === desired.identifier &&
    tag("ebdb:app") === desired.tags["ebdb:app"] &&
    tag("ebdb:env") === desired.tags["ebdb:env"]
  );
}

/** Instances `restore` made from this database (tagged ebdb:restored-from), over every instance of the region. */
export async function readRestored(
  aws: AwsClients,
  desired: { identifier: string; tags: Record<string, string> },
): Promise<DBInstance[]> {
  return (await listAllInstances(aws)).filter((i) => isRestoredFrom(i, desired));
}

/** One instance, or null when RDS does not know it (yet, or any more). */
export async function readInstance(aws: AwsClients, id: string): Promise<DBInstance | null> {
  try {
    const r = await aws.rds(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return r.DBInstances?.[0] ?? null;
  } catch (e) {
    if (isAwsCode(e, "DBInstanceNotFoundFault", "DBInstanceNotFound")) return null;
    throw e;
  }
}

function tagValue(i: DBInstance, key: string): string | null {
  return i.TagList?.find((t) => t.Key === key)?.Value ?? null;
}

/** An SDK instance in our own shape. */
export function toObserved(i: DBInstance, role: ObservedInstance["role"]): ObservedInstance {
  const type = (i.StorageType ?? "gp2") as ObservedInstance["storage"]["type"];
  const pending: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(i.PendingModifiedValues ?? {})) if (v !== undefined) pending[k] = v;
  const params = i.DBParameterGroups?.[0];
  if (params?.ParameterApplyStatus === "pending-reboot") pending.parameterApplyStatus = "pending-reboot";
  return {
    name: i.DBInstanceIdentifier!,
    role,
    status: i.DBInstanceStatus ?? "unknown",
    instanceClass: i.DBInstanceClass ?? "",
    engineVersion: i.EngineVersion ?? "",
    engine: i.Engine as ObservedInstance["engine"],
    port: i.Endpoint?.Port ?? i.DbInstancePort ?? 0,
    storage: {
      type,
      allocatedGiB: i.AllocatedStorage ?? 0,
      maxAllocatedGiB: i.MaxAllocatedStorage ?? null,
      iops: type === "gp2" ? null : (i.Iops ?? null),
      throughputMiBps: type === "gp3" ? (i.StorageThroughput ?? null) : null,
      encrypted: i.StorageEncrypted ?? false,
      kmsKeyId: i.KmsKeyId ?? null,
    },
    multiAz: i.MultiAZ ?? false,
    backupRetentionDays: i.BackupRetentionPeriod ?? 0,
    backupWindow: i.PreferredBackupWindow ?? "",
    maintenanceWindow: i.PreferredMaintenanceWindow ?? "",
    deletionProtection: i.DeletionProtection ?? false,
    autoMinorVersionUpgrade: i.AutoMinorVersionUpgrade ?? false,
    performanceInsights: {
      enabled: i.PerformanceInsightsEnabled ?? false,
      retentionDays: i.PerformanceInsightsEnabled ? (i.PerformanceInsightsRetentionPeriod ?? null) : null,
    },
    logExports: [...(i.EnabledCloudwatchLogsExports ?? [])],
    parameterGroup: params?.DBParameterGroupName ?? null,
    endpoint: i.Endpoint?.Address ? { host: i.Endpoint.Address, port: i.Endpoint.Port ?? 0 } : null,
    pendingModifications: pending,
    lastStorageChangeAt: tagValue(i, STORAGE_TAG),
    sourceName: i.ReadReplicaSourceDBInstanceIdentifier ?? null,
    ...(i.ReadReplicaSourceDBInstanceIdentifier && tagValue(i, REPLICA_OF_TAG)
      ? { replicaIndex: Number(tagValue(i, REPLICA_INDEX_TAG)) || undefined }
      : {}),
    subnetGroup: i.DBSubnetGroup?.DBSubnetGroupName ?? null,
    securityGroups: (i.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!),
    caCertificateIdentifier: i.CACertificateIdentifier,
    ...(i.MasterUserSecret?.SecretArn ? { masterUserSecretArn: i.MasterUserSecret.SecretArn } : {}),
  };
}

/** Creates the primary with every setting of the configuration. An instance that already exists is fine. */
export async function createPrimary(ctx: AwsCtx, sgId: string, password: string): Promise<void> {
  const { desired } = ctx;
  const p = desired.primary;
  const c = desired.config;
  const s = p.storage;
  try {
    await ctx.aws.rds(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: p.name,
        Engine: p.engine,
        EngineVersion: p.engineVersion,
        DBInstanceClass: p.instanceClass,
        MasterUsername: c.masterUsername,
        MasterUserPassword: password,
        DBName: c.dbName,
        Port: p.port,
        StorageType: s.type,
        AllocatedStorage: s.allocatedGiB,
        Iops: s.iops ?? undefined,
        StorageThroughput: s.throughputMiBps ?? undefined,
        MaxAllocatedStorage: s.autoscaling && s.maxAllocatedGiB !== null ? s.maxAllocatedGiB : undefined,
        StorageEncrypted: s.encrypted,
        KmsKeyId: s.encrypted && s.kmsKeyId ? s.kmsKeyId : undefined,
        MultiAZ: p.multiAz,
        DBSubnetGroupName: desired.network.subnetGroup,
        VpcSecurityGroupIds: [sgId],
        DBParameterGroupName: p.parameterGroup,
        PubliclyAccessible: false,
        BackupRetentionPeriod: p.backup.retentionDays,
        PreferredBackupWindow: p.backup.retentionDays > 0 ? p.backup.window : undefined,
        PreferredMaintenanceWindow: p.maintenanceWindow,
        DeletionProtection: p.deletionProtection,
        CopyTagsToSnapshot: true,
        AutoMinorVersionUpgrade: p.autoMinorVersionUpgrade,
        EnablePerformanceInsights: p.performanceInsights.enabled,
        PerformanceInsightsRetentionPeriod: p.performanceInsights.enabled
          ? p.performanceInsights.retentionDays
          : undefined,
        EnableCloudwatchLogsExports: p.logExports,
        CACertificateIdentifier: p.caCertificateIdentifier,
        Tags: tagList(desired, { "ebdb:role": "primary" }),
      }),
    );
  } catch (e) {
    if (!isAwsCode(e, "DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists")) throw e;
  }
}

// In a file of its own so the autoscaler's Lambda bundle takes it without the rest of this module.
export { replicaZone } from "./zones.js";

/** Creates one read replica of the primary in its zone. An existing one is fine. */
/**
 * CreateDBInstanceReadReplica's settings for a replica as configured, without its identifier,
 * source, zone and tags: what `up` sends, and what the autoscaler's runner sends for the replicas it adds.
 */
export function replicaRequest(want: DesiredInstance, sgId: string) {
  const s = want.storage;
  return {
    DBInstanceClass: want.instanceClass,
    Port: want.port,
    MultiAZ: false,
    StorageType: s.type,
    Iops: s.iops ?? undefined,
    StorageThroughput: s.throughputMiBps ?? undefined,
    MaxAllocatedStorage: s.autoscaling && s.maxAllocatedGiB !== null ? s.maxAllocatedGiB : undefined,
    VpcSecurityGroupIds: [sgId],
    DBParameterGroupName: want.parameterGroup,
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: want.autoMinorVersionUpgrade,
    CopyTagsToSnapshot: true,
    DeletionProtection: false,
    EnablePerformanceInsights: want.performanceInsights.enabled,
    PerformanceInsightsRetentionPeriod: want.performanceInsights.enabled
      ? want.performanceInsights.retentionDays
      : undefined,
    EnableCloudwatchLogsExports: want.logExports,
    CACertificateIdentifier: want.caCertificateIdentifier,
  };
}

export async function createReplica(
  ctx: AwsCtx,
  want: DesiredInstance,
  sgId: string,
  zone: string | undefined,
): Promise<void> {
  try {
    await ctx.aws.rds(
      new CreateDBInstanceReadReplicaCommand({
        ...replicaRequest(want, sgId),
        DBInstanceIdentifier: want.name,
        SourceDBInstanceIdentifier: ctx.desired.identifier,
        AvailabilityZone: zone,
        Tags: tagList(ctx.desired, { "ebdb:role": "replica" }),
      }),
    );
  } catch (e) {
    if (!isAwsCode(e, "DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists")) throw e;
  }
}

/** Records a storage change on the instance (its 6-hour rule is then visible to the next plan). */
export async function tagStorageChange(ctx: AwsCtx, arn: string): Promise<void> {
  await ctx.aws.rds(
    new AddTagsToResourceCommand({
      ResourceName: arn,
      Tags: [{ Key: STORAGE_TAG, Value: ctx.clock.now().toISOString() }],
    }),
  );
}

/**
 * Waits until the instance serves (available, or optimizing storage). Right after a create or modify
 * RDS may still report the old state or not know the instance yet: `settleMs` of grace covers that.
 */
export async function waitReady(
  ctx: AwsCtx,
  id: string,
  opts: { expectChange?: boolean } = {},
): Promise<DBInstance> {
  let looks = 0;
  return waitFor({
    clock: ctx.clock,
    io: ctx.io,
    what: `${id} to be available`,
    resource: id,
    poll: async () => {
      looks++;
      const i = await readInstance(ctx.aws, id);
      if (!i) return { done: false, status: "not visible yet" };
      const status = i.DBInstanceStatus ?? "unknown";
      // A modification accepted a moment ago may not have left `available` yet.
      const settled = !opts.expectChange || looks > 1 || !READY.has(status);
      if (status === "failed" || status === "incompatible-parameters" || status === "incompatible-restore") {
        throw new Error(`${id} is ${status}`);
      }
      return { done: READY.has(status) && settled, status, value: i };
    },
  });
}

/** Deletes an instance (a replica, or a primary with or without a final snapshot) and waits until it is gone. */
export async function deleteInstance(ctx: AwsCtx, id: string, finalSnapshot: string | null): Promise<void> {
  try {
    await ctx.aws.rds(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: id,
        SkipFinalSnapshot: finalSnapshot === null,
        FinalDBSnapshotIdentifier: finalSnapshot ?? undefined,
        DeleteAutomatedBackups: false,
      }),
    );
  } catch (e) {
    if (isAwsCode(e, "DBInstanceNotFoundFault", "DBInstanceNotFound")) return;
    // Already being deleted (a rerun after an interruption): wait for it below.
    if (!isAwsCode(e, "InvalidDBInstanceStateFault", "InvalidDBInstanceState")) throw e;
    const i = await readInstance(ctx.aws, id);
    if (i && i.DBInstanceStatus !== "deleting") throw e;
  }
  await waitGone(ctx, id);
}

export async function waitGone(ctx: AwsCtx, id: string): Promise<void> {
  await waitFor({
    clock: ctx.clock,
    io: ctx.io,
    what: `${id} to be deleted`,
    resource: id,
    poll: async () => {
      const i = await readInstance(ctx.aws, id);
      return { done: i === null, status: i?.DBInstanceStatus ?? "deleted" };
    },
  });
}
