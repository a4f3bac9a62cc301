import type {
  CopyDBSnapshotCommandInput,
  CreateDBSnapshotCommandInput,
  DBSnapshot,
  DeleteDBSnapshotCommandInput,
  DescribeDBInstanceAutomatedBackupsCommandInput,
  DescribeDBSnapshotsCommandInput,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { findKey } from "./kms.js";
import { earliestRestorable, getInstance, latestRestorable, RDS_TIMES, requireReady } from "./rds-model.js";
import { checkIdentifier } from "./rds-validate.js";
import type { DbInstance, DbSnapshot, RegionState, Tag } from "./state.js";
import { mergeTags, type World } from "./world.js";

const DAY = 86_400_000;

export function snapshotArn(w: World, region: string, id: string): string {
  return `arn:aws:rds:${region}:${w.accountId}:snapshot:${id}`;
}

function stamp(ms: number): string {
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 10)}-${d.slice(11, 13)}-${d.slice(14, 16)}`;
}

/** Starts a snapshot of `inst` (status creating, then available after `ms`). */
export function takeSnapshot(
  w: World,
  r: RegionState,
  inst: DbInstance,
  id: string,
  type: "manual" | "automated",
  tags: Tag[],
  ms: number = RDS_TIMES.snapshot,
): DbSnapshot {
  const vpcId = r.rds.subnetGroups.get(inst.subnetGroupName)?.vpcId;
  const snap: DbSnapshot = {
    id,
    arn: snapshotArn(w, r.name, id),
    instanceId: inst.id,
    instanceResourceId: inst.resourceId,
    type,
    status: "creating",
    createdAt: w.now(),
    engine: inst.engine,
    engineVersion: inst.engineVersion,
    instanceClass: inst.instanceClass,
    allocatedStorage: inst.allocatedStorage,
    storageType: inst.storageType,
    iops: inst.iops,
    storageThroughput: inst.storageThroughput,
    encrypted: inst.storageEncrypted,
    kmsKeyArn: inst.kmsKeyArn,
    masterUsername: inst.masterUsername,
    masterPassword: inst.masterPassword,
    port: inst.port,
    dbName: inst.dbName,
    az: inst.az,
    vpcId,
    sourceRegion: undefined,
    sourceSnapshotArn: undefined,
    tags: inst.copyTagsToSnapshot ? mergeTags(inst.tags, tags) : mergeTags([], tags),
    percentProgress: 0,
  };
  r.rds.snapshots.set(id, snap);
  finishLater(w, snap, ms);
  return snap;
}

function finishLater(w: World, snap: DbSnapshot, ms: number): void {
  w.clock.schedule(w.now() + ms / 2, () => {
    if (snap.status === "creating") snap.percentProgress = 50;
  });
  w.clock.schedule(w.now() + ms, () => {
    if (snap.status !== "creating") return;
    snap.status = "available";
    snap.percentProgress = 100;
  });
}

/**
 * The first automated backup when an instance becomes available with backups on, then one a day;
 * automated snapshots older than the retention period are removed.
 */
export function startAutomatedBackups(w: World, r: RegionState, inst: DbInstance): void {
  if (inst.backupRetention <= 0) return;
  inst.backupsSince ??= w.now();
  const id = `rds:${inst.id}-${stamp(w.now())}`;
  if (!r.rds.snapshots.has(id)) takeSnapshot(w, r, inst, id, "automated", [], RDS_TIMES.initialBackup);
  const resourceId = inst.resourceId;
  w.clock.schedule(w.now() + DAY, () => {
    const live = r.rds.instances.get(inst.id);
    if (live?.resourceId !== resourceId || live.backupRetention <= 0) return;
    for (const s of [...r.rds.snapshots.values()]) {
      if (
        s.type === "automated" &&
        s.instanceResourceId === resourceId &&
        s.createdAt < w.now() - live.backupRetention * DAY
      ) {
        r.rds.snapshots.delete(s.id);
      }
    }
    startAutomatedBackups(w, r, live);
  });
}

export function snapshotShape(s: DbSnapshot): DBSnapshot {
  return {
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.instanceId,
    SnapshotCreateTime: s.status === "creating" ? undefined : new Date(s.createdAt),
    OriginalSnapshotCreateTime: new Date(s.createdAt),
    Engine: s.engine,
    EngineVersion: s.engineVersion,
    AllocatedStorage: s.allocatedStorage,
    Status: s.status,
    Port: s.port,
    AvailabilityZone: s.az,
    VpcId: s.vpcId,
    InstanceCreateTime: new Date(s.createdAt),
    MasterUsername: s.masterUsername,
    LicenseModel: s.engine === "postgres" ? "postgresql-license" : "general-public-license",
    SnapshotType: s.type,
    Iops: s.iops,
    StorageThroughput: s.storageThroughput,
    PercentProgress: s.percentProgress,
    SourceRegion: s.sourceRegion,
    SourceDBSnapshotIdentifier: s.sourceSnapshotArn,
    StorageType: s.storageType,
    Encrypted: s.encrypted,
    KmsKeyId: s.encrypted ? s.kmsKeyArn : undefined,
    DBSnapshotArn: s.arn,
    IAMDatabaseAuthenticationEnabled: false,
    DbiResourceId: s.instanceResourceId,
    TagList: s.tags.map((t) => ({ ...t })),
    SnapshotTarget: "region",
    DedicatedLogVolume: false,
    MultiTenant: false,
  };
}

export function getSnapshot(ctx: Ctx, id: string | undefined): DbSnapshot {
  const s = ctx.r.rds.snapshots.get(id ?? "") ?? ctx.r.rds.snapshots.get((id ?? "").toLowerCase());
  if (!s) throw ctx.err("DBSnapshotNotFoundFault", `DBSnapshot ${id} not found.`, 404);
  return s;
}

function snapshotExists(ctx: Ctx, id: string): Error {
  return ctx.err(
    "DBSnapshotAlreadyExistsFault",
    `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
  );
}

/** Validates a new snapshot identifier and that it is free. */
export function newSnapshotId(ctx: Ctx, id: string | undefined, param: string): string {
  const sid = checkIdentifier(ctx, id, param);
  if (ctx.r.rds.snapshots.has(sid)) throw snapshotExists(ctx, sid);
  return sid;
}

export const rdsSnapshotHandlers: Handlers = {
  CreateDBSnapshot: write<CreateDBSnapshotCommandInput>((ctx, input) => {
    const inst = getInstance(ctx, input.DBInstanceIdentifier);
    const id = newSnapshotId(ctx, input.DBSnapshotIdentifier, "DBSnapshotIdentifier");
    requireReady(ctx, inst, "create a snapshot");
    const snap = takeSnapshot(ctx.w, ctx.r, inst, id, "manual", mergeTags([], input.Tags));
    ctx.w.created("DBSnapshot", ctx.region, id);
    // A Single-AZ instance shows backing-up while the snapshot is taken (I/O is briefly suspended).
    if (!inst.multiAz && inst.status === "available") {
      const epoch = ++inst.epoch;
      inst.status = "backing-up";
      ctx.w.clock.schedule(ctx.w.now() + RDS_TIMES.snapshot, () => {
        if (inst.epoch === epoch && inst.status === "backing-up") inst.status = "available";
      });
    }
    return { DBSnapshot: snapshotShape(snap) };
  }),

  DescribeDBSnapshots: read<DescribeDBSnapshotsCommandInput>((ctx, input) => {
    let snaps: DbSnapshot[];
    if (input.DBSnapshotIdentifier) {
      const s = getSnapshot(ctx, input.DBSnapshotIdentifier);
      if (!ctx.w.visible("DBSnapshot", ctx.region, s.id)) {
        throw ctx.err("DBSnapshotNotFoundFault", `DBSnapshot ${input.DBSnapshotIdentifier} not found.`, 404);
      }
      snaps = [s];
    } else {
      snaps = [...ctx.r.rds.snapshots.values()]
        .filter((s) => ctx.w.visible("DBSnapshot", ctx.region, s.id))
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    }
    const instId = input.DBInstanceIdentifier?.toLowerCase();
    if (instId) snaps = snaps.filter((s) => s.instanceId === instId);
    if (input.DbiResourceId) snaps = snaps.filter((s) => s.instanceResourceId === input.DbiResourceId);
    if (input.SnapshotType) snaps = snaps.filter((s) => s.type === input.SnapshotType);
    for (const f of input.Filters ?? []) {
      const vals = f.Values ?? [];
      if (f.Name === "db-instance-id") snaps = snaps.filter((s) => vals.includes(s.instanceId));
      if (f.Name === "snapshot-type") snaps = snaps.filter((s) => vals.includes(s.type));
      if (f.Name === "db-snapshot-id") snaps = snaps.filter((s) => vals.includes(s.id));
      if (f.Name === "dbi-resource-id") snaps = snaps.filter((s) => vals.includes(s.instanceResourceId));
    }
    const page = ctx.w.page("rds", snaps, input.Marker, input.MaxRecords, {
      min: 20,
      max: 100,
      param: "MaxRecords",
    });
    return { DBSnapshots: page.items.map((s) => snapshotShape(s)), Marker: page.next };
  }),

  DeleteDBSnapshot: write<DeleteDBSnapshotCommandInput>((ctx, input) => {
    const s = getSnapshot(ctx, input.DBSnapshotIdentifier);
    if (s.type === "automated") {
      throw ctx.err("InvalidDBSnapshotStateFault", "Only manual snapshots may be deleted.");
    }
    if (s.status !== "available") {
      throw ctx.err(
        "InvalidDBSnapshotStateFault",
        `Cannot delete the snapshot ${s.id} while its status is ${s.status}.`,
      );
    }
    ctx.r.rds.snapshots.delete(s.id);
    return { DBSnapshot: { ...snapshotShape(s), Status: "deleted" } };
  }),

  CopyDBSnapshot: write<CopyDBSnapshotCommandInput & { SourceRegion?: string }>((ctx, input) => {
    const ref = input.SourceDBSnapshotIdentifier ?? "";
    const arn = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):snapshot:(.+)$/.exec(ref);
    const srcRegion = arn ? arn[1] : ctx.region;
    const crossRegion = srcRegion !== ctx.region;
    if (input.SourceRegion && input.SourceRegion !== srcRegion) {
      throw ctx.err(
        "InvalidParameterValue",
        `SourceRegion ${input.SourceRegion} does not match the source snapshot ARN's region ${srcRegion}.`,
      );
    }
    const srcCtx: Ctx = { ...ctx, region: srcRegion, r: ctx.w.region(srcRegion) };
    const src = getSnapshot(srcCtx, arn ? arn[3] : ref);
    if (src.status !== "available") {
      throw ctx.err("InvalidDBSnapshotStateFault", `Snapshot ${src.id} is not in available state.`);
    }
    const id = newSnapshotId(ctx, input.TargetDBSnapshotIdentifier, "TargetDBSnapshotIdentifier");
    let kmsKeyArn = crossRegion ? undefined : src.kmsKeyArn;
    if (input.KmsKeyId) {
      const key = findKey(ctx.w, ctx.region, input.KmsKeyId);
      if (!key?.enabled) {
        throw ctx.err(
          "KMSKeyNotAccessibleFault",
          `The specified KMS key [${input.KmsKeyId}] does not exist, is not enabled or you do not have permissions to access it.`,
        );
      }
      kmsKeyArn = key.arn;
    } else if (src.encrypted && crossRegion) {
      throw ctx.err(
        "InvalidParameterValue",
        "KmsKeyId is required when copying an encrypted DB snapshot to another AWS Region: use a KMS key of the destination Region.",
      );
    }
    const tags = mergeTags(input.CopyTags ? src.tags : [], input.Tags);
    const copy: DbSnapshot = {
      ...src,
      id,
      arn: snapshotArn(ctx.w, ctx.region, id),
      type: "manual",
      status: "creating",
      createdAt: ctx.w.now(),
      encrypted: src.encrypted || kmsKeyArn !== undefined,
      kmsKeyArn,
      sourceRegion: crossRegion ? srcRegion : undefined,
      sourceSnapshotArn: src.arn,
      tags,
      percentProgress: 0,
    };
    ctx.r.rds.snapshots.set(id, copy);
    ctx.w.created("DBSnapshot", ctx.region, id);
    finishLater(ctx.w, copy, crossRegion ? RDS_TIMES.crossRegionCopy : RDS_TIMES.copySnapshot);
    return { DBSnapshot: snapshotShape(copy) };
  }),

  DescribeDBInstanceAutomatedBackups: read<DescribeDBInstanceAutomatedBackupsCommandInput>((ctx, input) => {
    const insts = [...ctx.r.rds.instances.values()]
      .filter((i) => i.backupRetention > 0 && i.backupsSince !== undefined)
      .filter((i) => !input.DBInstanceIdentifier || i.id === input.DBInstanceIdentifier.toLowerCase())
      .filter((i) => !input.DbiResourceId || i.resourceId === input.DbiResourceId);
    const page = ctx.w.page("rds", insts, input.Marker, input.MaxRecords, {
      min: 20,
      max: 100,
      param: "MaxRecords",
    });
    return {
      DBInstanceAutomatedBackups: page.items.map((i) => ({
        DBInstanceArn: i.arn,
        DbiResourceId: i.resourceId,
        Region: ctx.region,
        DBInstanceIdentifier: i.id,
        RestoreWindow: {
          EarliestTime: new Date(earliestRestorable(ctx.w, i) ?? 0),
          LatestTime: new Date(latestRestorable(ctx.w, i) ?? 0),
        },
        AllocatedStorage: i.allocatedStorage,
        Status: "active",
        Engine: i.engine,
        EngineVersion: i.engineVersion,
        Encrypted: i.storageEncrypted,
        KmsKeyId: i.kmsKeyArn,
        BackupRetentionPeriod: i.backupRetention,
        StorageType: i.storageType,
      })),
      Marker: page.next,
    };
  }),
};
