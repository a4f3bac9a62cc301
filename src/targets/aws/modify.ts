import {
  type DBInstance,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceCommandInput,
  RebootDBInstanceCommand,
} from "@aws-sdk/client-rds";
import type { Change } from "../../model/change.js";
import type { DesiredInstance } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsCtx } from "./context.js";
import { tagStorageChange, toObserved, waitReady } from "./instances.js";
import { diffInstance } from "../../plan/diff-instance.js";
import { gp3Baseline } from "../../plan/diff-storage.js";
import type { DiffContext } from "../../plan/diff-context.js";

/** Fields whose change goes through ModifyDBInstance, and how each sets the input. */
type Setter = (
  input: ModifyDBInstanceCommandInput,
  want: DesiredInstance,
  have: DBInstance,
  ctx: AwsCtx,
) => void;

const SETTERS: Record<string, Setter> = {
  instanceClass: (i, w) => {
    i.DBInstanceClass = w.instanceClass;
  },
  engineVersion: (i, w, h) => {
    i.EngineVersion = w.engineVersion;
    if (major(w.engineVersion, w.engine) !== major(h.EngineVersion ?? "", w.engine))
      i.AllowMajorVersionUpgrade = true;
  },
  port: (i, w) => {
    i.DBPortNumber = w.port;
  },
  subnetGroup: (i, _w, _h, ctx) => {
    i.DBSubnetGroupName = ctx.desired.network.subnetGroup;
  },
  parameterGroup: (i, w) => {
    i.DBParameterGroupName = w.parameterGroup;
  },
  caCertificateIdentifier: (i, w) => {
    i.CACertificateIdentifier = w.caCertificateIdentifier;
  },
  "storage.allocatedGiB": (i, w) => {
    i.AllocatedStorage = w.storage.allocatedGiB;
  },
  "storage.type": (i, w) => {
    i.StorageType = w.storage.type;
    if (w.storage.iops !== null) i.Iops = w.storage.iops;
    if (w.storage.throughputMiBps !== null) i.StorageThroughput = w.storage.throughputMiBps;
  },
  // diff asks for these only when the user set them, or to undo provisioned gp3 performance (from
  // 400 GiB, where RDS accepts its own baseline); the baseline is that of the volume's actual size.
  "storage.iops": (i, w, h) => {
    i.Iops = w.storage.iops ?? baselineOf(w, h).iops;
  },
  "storage.throughputMiBps": (i, w, h) => {
    i.StorageThroughput = w.storage.throughputMiBps ?? baselineOf(w, h).throughputMiBps;
  },
  "storage.maxAllocatedGiB": (i, w, h) => {
    // RDS turns storage autoscaling off when the maximum equals the allocated size.
    i.MaxAllocatedStorage =
      w.storage.autoscaling && w.storage.maxAllocatedGiB !== null
        ? w.storage.maxAllocatedGiB
        : Math.max(h.AllocatedStorage ?? 0, i.AllocatedStorage ?? 0);
  },
  multiAz: (i, w) => {
    i.MultiAZ = w.multiAz;
  },
  "backup.retentionDays": (i, w) => {
    i.BackupRetentionPeriod = w.backup.retentionDays;
  },
  "backup.window": (i, w) => {
    i.PreferredBackupWindow = w.backup.window;
  },
  maintenanceWindow: (i, w) => {
    i.PreferredMaintenanceWindow = w.maintenanceWindow;
  },
  autoMinorVersionUpgrade: (i, w) => {
    i.AutoMinorVersionUpgrade = w.autoMinorVersionUpgrade;
  },
  deletionProtection: (i, w) => {
    i.DeletionProtection = w.deletionProtection;
  },
  logExports: (i, w, h) => {
    const have = new Set(h.EnabledCloudwatchLogsExports ?? []);
    const want = new Set(w.logExports);
    i.CloudwatchLogsExportConfiguration = {
      EnableLogTypes: [...want].filter((t) => !have.has(t)),
      DisableLogTypes: [...have].filter((t) => !want.has(t)),
    };
  },
  "performanceInsights.enabled": (i, w) => {
    i.EnablePerformanceInsights = w.performanceInsights.enabled;
    if (w.performanceInsights.enabled)
      i.PerformanceInsightsRetentionPeriod = w.performanceInsights.retentionDays;
  },
  "performanceInsights.retentionDays": (i, w) => {
    i.EnablePerformanceInsights = true;
    i.PerformanceInsightsRetentionPeriod = w.performanceInsights.retentionDays;
  },
};

function major(version: string, engine: string): string {
  const parts = version.split(".");
  return engine === "postgres" ? parts[0] : parts.slice(0, 2).join(".");
}

/** gp3's baseline for the size the volume has after this change (it never shrinks). */
function baselineOf(w: DesiredInstance, h: DBInstance): { iops: number; throughputMiBps: number } {
  return gp3Baseline(Math.max(w.storage.allocatedGiB, h.AllocatedStorage ?? 0));
}

/** Whether ebdb knows how to make this plan change with ModifyDBInstance. */
export function isModifyField(field: string | undefined): boolean {
  return field !== undefined && field in SETTERS;
}

const STORAGE_FIELDS = ["storage.allocatedGiB", "storage.type", "storage.iops", "storage.throughputMiBps"];

/**
 * Makes the plan's updates of one instance: the online ones (impact none) at once, the disruptive
 * ones at once with --apply-immediately, else in the next maintenance window. Security groups are
 * set to the DB group. Waits until the instance serves again after each call.
 */
export async function modifyInstance(
  ctx: AwsCtx,
  want: DesiredInstance,
  changes: Change[],
  opts: { applyImmediately: boolean; dbSgId: string | null },
): Promise<number> {
  let have = await waitReady(ctx, want.name);
  // The plan was made from what RDS said then (perhaps while creating or modifying): keep what still differs.
  const still = new Set(freshChanges(ctx, want, have, opts.dbSgId).map((c) => c.field));
  const now: Change[] = [];
  const later: Change[] = [];
  for (const c of changes.filter((x) => still.has(x.field))) {
    if (c.field === "securityGroups" || isModifyField(c.field))
      (c.impact === "none" || opts.applyImmediately ? now : later).push(c);
  }
  let calls = 0;
  for (const [batch, immediately] of [
    [now, true],
    [later, false],
  ] as const) {
    if (batch.length === 0) continue;
    const input: ModifyDBInstanceCommandInput = {
      DBInstanceIdentifier: want.name,
      ApplyImmediately: immediately,
    };
    for (const c of batch) {
      if (c.field === "securityGroups") {
        if (opts.dbSgId) input.VpcSecurityGroupIds = [opts.dbSgId];
      } else SETTERS[c.field!](input, want, have, ctx);
    }
    await modifyWithRetry(ctx, input);
    calls++;
    if (batch.some((c) => STORAGE_FIELDS.includes(c.field!)) && have.DBInstanceArn) {
      await tagStorageChange(ctx, have.DBInstanceArn);
      calls++;
    }
    have = await waitReady(ctx, want.name, { expectChange: immediately });
    if (!immediately) {
      ctx.io.event({
        type: "info",
        message: `${want.name}: ${batch.map((c) => c.field).join(", ")} will change in the maintenance window (${want.maintenanceWindow} UTC); run up with --apply-immediately to change now`,
      });
    }
  }
  return calls;
}

/** What diff finds between the instance as it is now and what the configuration wants. */
export function freshChanges(
  ctx: AwsCtx,
  want: DesiredInstance,
  have: DBInstance,
  dbSgId: string | null,
): Change[] {
  const dctx: DiffContext = {
    desired: ctx.desired,
    observed: {
      target: "aws",
      primary: null,
      replicas: [],
      dbSecurityGroup: dbSgId
        ? { id: dbSgId, name: ctx.desired.network.dbSecurityGroup, ingressFrom: [] }
        : null,
    },
    now: ctx.clock.now(),
    allowReplace: false,
    changes: [],
    refused: [],
    notes: [],
  };
  diffInstance(dctx, want, toObserved(have, want.role));
  return dctx.changes;
}

/** ModifyDBInstance, waiting and trying again while RDS says the instance is busy. */
export async function modifyWithRetry(ctx: AwsCtx, input: ModifyDBInstanceCommandInput): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.aws.rds(new ModifyDBInstanceCommand(input));
      return;
    } catch (e) {
      // An earlier, interrupted run already made this change.
      if (isAwsCode(e, "InvalidParameterCombination") && /No modifications/i.test((e as Error).message))
        return;
      if (!isAwsCode(e, "InvalidDBInstanceStateFault", "InvalidDBInstanceState") || attempt >= 10) throw e;
      await waitReady(ctx, input.DBInstanceIdentifier!);
      await ctx.clock.sleep(5000);
    }
  }
}

/** Reboots the instance (static parameters) and waits until it serves again. */
export async function rebootInstance(ctx: AwsCtx, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.aws.rds(new RebootDBInstanceCommand({ DBInstanceIdentifier: id }));
      break;
    } catch (e) {
      if (!isAwsCode(e, "InvalidDBInstanceStateFault", "InvalidDBInstanceState") || attempt >= 10) throw e;
      await waitReady(ctx, id);
    }
  }
  await waitReady(ctx, id, { expectChange: true });
}
