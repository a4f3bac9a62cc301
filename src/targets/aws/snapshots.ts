import {
  CopyDBSnapshotCommand,
  type CopyDBSnapshotCommandInput,
  CreateDBSnapshotCommand,
  type DBSnapshot,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { userError } from "../../errors.js";
import type { BackupInfo } from "../target.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";
import { waitFor } from "./wait.js";

export function toBackupInfo(s: DBSnapshot): BackupInfo {
  return {
    id: s.DBSnapshotIdentifier!,
    kind: s.SnapshotType === "manual" ? "manual" : "automated",
    createdAt: (s.SnapshotCreateTime ?? s.OriginalSnapshotCreateTime ?? new Date(0)).toISOString(),
    sizeBytes: s.AllocatedStorage !== undefined ? s.AllocatedStorage * 1024 ** 3 : null,
    status: s.Status ?? "unknown",
  };
}

export async function readSnapshot(aws: AwsClients, id: string): Promise<DBSnapshot | null> {
  try {
    const r = await aws.rds(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
    return r.DBSnapshots?.[0] ?? null;
  } catch (e) {
    if (isAwsCode(e, "DBSnapshotNotFoundFault", "DBSnapshotNotFound")) return null;
    throw e;
  }
}

/** Every snapshot of the instance, manual and automated, newest first. */
export async function listSnapshots(aws: AwsClients, instance: string): Promise<DBSnapshot[]> {
  const out: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const r = await aws.rds(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instance, Marker: marker }),
    );
    out.push(...(r.DBSnapshots ?? []));
    marker = r.Marker;
  } while (marker);
  return out.sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
}

export async function waitSnapshot(ctx: AwsCtx, aws: AwsClients, id: string): Promise<DBSnapshot> {
  return waitFor({
    clock: ctx.clock,
    io: ctx.io,
    what: `snapshot ${id}`,
    resource: id,
    poll: async () => {
      const s = await readSnapshot(aws, id);
      const status = s
        ? `${s.Status}${s.PercentProgress !== undefined ? ` ${s.PercentProgress}%` : ""}`
        : "not visible yet";
      if (s?.Status === "failed") throw userError("AWS_SNAPSHOT_FAILED", `Snapshot ${id} failed.`);
      return { done: s?.Status === "available", status, value: s ?? undefined };
    },
  });
}

/** Takes a manual snapshot (an existing one of that name is reused) and waits until it is available. */
export async function createSnapshot(ctx: AwsCtx, instance: string, id: string): Promise<DBSnapshot> {
  try {
    await ctx.aws.rds(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: instance,
        DBSnapshotIdentifier: id,
        Tags: tagList(ctx.desired),
      }),
    );
  } catch (e) {
    if (!isAwsCode(e, "DBSnapshotAlreadyExistsFault", "DBSnapshotAlreadyExists")) throw e;
  }
  return waitSnapshot(ctx, ctx.aws, id);
}

/** Copies a snapshot (into `aws`'s region), re-encrypted with `kmsKeyId` when given; waits until available. */
export async function copySnapshotTo(
  ctx: AwsCtx,
  aws: AwsClients,
  source: DBSnapshot,
  target: string,
  kmsKeyId: string | undefined,
): Promise<DBSnapshot> {
  const crossRegion = aws.settings.region !== ctx.aws.settings.region;
  try {
    // SourceRegion is not in the input's type, but the SDK's RDS middleware reads it to presign the copy.
    const input = {
      SourceDBSnapshotIdentifier: crossRegion ? source.DBSnapshotArn : source.DBSnapshotIdentifier,
      TargetDBSnapshotIdentifier: target,
      KmsKeyId: kmsKeyId,
      CopyTags: true,
      SourceRegion: crossRegion ? ctx.aws.settings.region : undefined,
      Tags: tagList(ctx.desired),
    } as CopyDBSnapshotCommandInput;
    await aws.rds(new CopyDBSnapshotCommand(input));
  } catch (e) {
    if (!isAwsCode(e, "DBSnapshotAlreadyExistsFault", "DBSnapshotAlreadyExists")) throw e;
  }
  return waitSnapshot(ctx, aws, target);
}

export async function deleteSnapshot(aws: AwsClients, id: string): Promise<void> {
  await aws.rds(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
}
