import type { ModifyDBInstanceCommandInput } from "@aws-sdk/client-rds";
import { insightsUnsupported } from "../../config/catalog/instance-classes.js";
import { userError } from "../../errors.js";
import { isAwsCode } from "./aws-errors.js";
import type { BackupInfo } from "../target.js";
import type { AwsCtx } from "./context.js";
import { readInstances, tagStorageChange, waitReady } from "./instances.js";
import { modifyWithRetry } from "./modify.js";
import { readParamGroup, setParams } from "./params.js";
import { copySnapshotTo, readSnapshot, toBackupInfo } from "./snapshots.js";

export interface ScaleRequest {
  instanceClass?: string;
  storageGiB?: number;
  applyImmediately: boolean;
}

async function primaryOf(ctx: AwsCtx) {
  const { primary, replicas } = await readInstances(ctx.aws, ctx.desired.identifier);
  if (!primary) {
    throw userError(
      "NOT_CREATED",
      `${ctx.desired.identifier} does not exist yet.`,
      "Run `ebdb up --target aws` first.",
    );
  }
  return { primary, replicas };
}

function configHint(ctx: AwsCtx, key: string, value: string | number): void {
  ctx.io.event({
    type: "warning",
    message: `config.env still says something else: the next ebdb up would change it back.`,
    hint: `Set ${key}=${value} in ${ctx.desired.config.file}.`,
  });
}

/**
 * A new instance class and/or more storage. The guards (storage only grows, by 10%, once per 6 hours)
 * are checked by the caller from the observed state; RDS checks them again.
 */
export async function scale(ctx: AwsCtx, req: ScaleRequest): Promise<void> {
  const { primary } = await primaryOf(ctx);
  const id = ctx.desired.identifier;
  const input: ModifyDBInstanceCommandInput = {
    DBInstanceIdentifier: id,
    ApplyImmediately: req.applyImmediately,
  };
  if (req.instanceClass) input.DBInstanceClass = req.instanceClass;
  if (req.storageGiB !== undefined) {
    input.AllocatedStorage = req.storageGiB;
    const max = primary.MaxAllocatedStorage;
    if (max !== undefined && max < Math.ceil(req.storageGiB * 1.1))
      input.MaxAllocatedStorage = Math.ceil(req.storageGiB * 1.1);
  }
  await waitReady(ctx, id);
  try {
    await modifyWithRetry(ctx, input);
  } catch (e) {
    // RDS's own storage rules (another change in the last 6 hours, or still optimizing).
    if (isAwsCode(e, "InvalidParameterCombination", "InvalidParameterValue", "StorageQuotaExceeded")) {
      throw userError(
        "SCALE_REFUSED",
        `RDS refused: ${(e as Error).message.replace(/^RDS\.\w+ failed: \w+: /, "")}`,
      );
    }
    throw e;
  }
  if (req.storageGiB !== undefined && primary.DBInstanceArn)
    await tagStorageChange(ctx, primary.DBInstanceArn);
  if (req.applyImmediately) {
    await waitReady(ctx, id, { expectChange: true });
    ctx.io.event({ type: "result", message: `${id} is scaled` });
  } else {
    ctx.io.event({
      type: "result",
      message: `${id} will change in its next maintenance window (${primary.PreferredMaintenanceWindow} UTC)`,
    });
  }
  if (req.instanceClass) configHint(ctx, "DB_INSTANCE_CLASS", req.instanceClass);
  if (req.storageGiB !== undefined) configHint(ctx, "DB_ALLOCATED_STORAGE", req.storageGiB);
}

/** RDS's retention choices: 7 days (free), 31 × months (1-23), or 731. */
export function validRetention(days: number): boolean {
  return (
    days === 7 || days === 731 || (Number.isInteger(days) && days % 31 === 0 && days >= 31 && days <= 713)
  );
}

/** Turns Performance Insights on (or changes its retention) on the primary and every replica. */
export async function enableInsights(ctx: AwsCtx, retentionDays: number): Promise<void> {
  if (!validRetention(retentionDays)) {
    throw userError(
      "BAD_RETENTION",
      `--retention ${retentionDays} is not a Performance Insights retention.`,
      "Use 7 (free), a multiple of 31 up to 713 (months), or 731.",
    );
  }
  const { primary, replicas } = await primaryOf(ctx);
  const all = [primary, ...replicas];
  for (const i of all) {
    if (insightsUnsupported(i.DBInstanceClass ?? "", ctx.desired.config.engine)) {
      throw userError(
        "INSIGHTS_UNSUPPORTED",
        `${i.DBInstanceIdentifier} runs on ${i.DBInstanceClass}, where RDS offers no Performance Insights for ${ctx.desired.config.engine}.`,
        "Scale to a larger class first (ebdb scale --instance-class db.t3.medium).",
      );
    }
  }
  await Promise.all(
    all
      .filter((i) => !i.PerformanceInsightsEnabled || i.PerformanceInsightsRetentionPeriod !== retentionDays)
      .map(async (i) => {
        const id = i.DBInstanceIdentifier!;
        await waitReady(ctx, id);
        await modifyWithRetry(ctx, {
          DBInstanceIdentifier: id,
          EnablePerformanceInsights: true,
          PerformanceInsightsRetentionPeriod: retentionDays,
          ApplyImmediately: true,
        });
        await waitReady(ctx, id, { expectChange: true });
      }),
  );
  ctx.io.event({
    type: "result",
    message: `Performance Insights is on for ${all.length} instance(s), kept ${retentionDays} days`,
  });
  const pi = ctx.desired.config.performanceInsights;
  if (!pi.enabled || pi.retentionDays !== retentionDays) {
    configHint(
      ctx,
      "DB_PERFORMANCE_INSIGHTS_ENABLED=true and DB_PERFORMANCE_INSIGHTS_RETENTION",
      retentionDays,
    );
  }
}

/** Sets the slow-query threshold in the parameter group (a dynamic parameter: no reboot). */
export async function setSlowQueryMs(ctx: AwsCtx, ms: number): Promise<void> {
  if (!Number.isInteger(ms) || ms < -1) {
    throw userError(
      "BAD_MS",
      `--ms ${ms} is not a threshold.`,
      "Use a whole number of milliseconds, or -1 to turn the slow-query log off.",
    );
  }
  const name = ctx.desired.parameterGroup.name;
  if (!ctx.desired.parameterGroup.managed) {
    throw userError(
      "PARAMETER_GROUP_NOT_EBDBS",
      `The slow-query threshold lives in ebdb's own parameter group, but DB_PARAMETER_GROUP_NAME names ${name}, which ebdb does not change.`,
      `Set log_min_duration_statement in ${name} yourself, or empty DB_PARAMETER_GROUP_NAME in config.env and run \`ebdb up --target aws\` (ebdb makes its own group: a restart).`,
    );
  }
  if (!(await readParamGroup(ctx.aws, name))) {
    throw userError(
      "NOT_CREATED",
      `Parameter group ${name} does not exist yet.`,
      "Run `ebdb up --target aws` first.",
    );
  }
  const params: Record<string, string> =
    ctx.desired.config.engine === "postgres"
      ? { log_min_duration_statement: String(ms) }
      : ms < 0
        ? { slow_query_log: "0" }
        : { slow_query_log: "1", long_query_time: String(ms / 1000) };
  await setParams(ctx.aws, name, params);
  ctx.io.event({
    type: "result",
    message:
      ms < 0 ? "The slow-query log is off" : `Statements slower than ${ms} ms are logged (CloudWatch Logs)`,
  });
  if (ctx.desired.config.slowQueryMs !== ms) configHint(ctx, "DB_SLOW_QUERY_MS", ms);
}

/** Copies a snapshot to another region; encrypted snapshots need a KMS key of that region. */
export async function copySnapshot(
  ctx: AwsCtx,
  req: { id: string; toRegion: string; kmsKeyId?: string; name?: string },
): Promise<BackupInfo> {
  if (req.toRegion === ctx.aws.settings.region) {
    throw userError(
      "SAME_REGION",
      `Snapshot ${req.id} is already in ${req.toRegion}.`,
      "Name another region with --to-region.",
    );
  }
  const snap = await readSnapshot(ctx.aws, req.id);
  if (!snap)
    throw userError(
      "SNAPSHOT_NOT_FOUND",
      `Snapshot ${req.id} does not exist.`,
      "List them with `ebdb snapshot list`.",
    );
  if (snap.Status !== "available")
    throw userError("SNAPSHOT_NOT_READY", `Snapshot ${req.id} is ${snap.Status}, not available yet.`);
  if (snap.Encrypted && !req.kmsKeyId) {
    throw userError(
      "KMS_KEY_REQUIRED",
      `Snapshot ${req.id} is encrypted, and KMS keys do not leave their region: the copy needs a key in ${req.toRegion}.`,
      `Pass --kms-key with a key id, ARN or alias of ${req.toRegion} (alias/aws/rds works).`,
    );
  }
  const name = req.name ?? `${req.id.replace(/[^a-zA-Z0-9-]/g, "-").replace(/-+/g, "-")}-${req.toRegion}`;
  const copy = await copySnapshotTo(
    ctx,
    ctx.aws.forRegion(req.toRegion),
    snap,
    name,
    snap.Encrypted ? req.kmsKeyId : undefined,
  );
  ctx.io.event({ type: "result", message: `Snapshot ${req.id} is copied to ${req.toRegion} as ${name}` });
  return toBackupInfo(copy);
}
