import type { StartDBInstanceCommandInput, StopDBInstanceCommandInput } from "@aws-sdk/client-rds";
import { type Handlers, write } from "./kit.js";
import { getInstance, instanceShape, runPhases } from "./rds-model.js";
import { takeSnapshot } from "./rds-snapshots.js";
import { checkIdentifier } from "./rds-validate.js";

const MIN = 60_000;

/**
 * Durations of stopping and starting (AWS gives none; minutes, as seen), and how long an instance
 * stays stopped before RDS starts it by itself: "If you don't manually start your DB instance after it
 * is stopped for seven consecutive days, RDS automatically starts your DB instance" (RDS User Guide,
 * "Stopping an Amazon RDS DB instance temporarily").
 */
export const STOP_TIMES = { stop: 4 * MIN, start: 5 * MIN, autoStart: 7 * 24 * 60 * MIN } as const;

export const rdsStopStartHandlers: Handlers = {
  /**
   * StopDBInstance (same guide, Limitations): only an `available` instance; not a read replica nor one
   * that has read replicas; an optional snapshot is taken first. `stopping` → `stopped`, and RDS
   * starts it again after seven days.
   */
  StopDBInstance: write<StopDBInstanceCommandInput>((ctx, input) => {
    const inst = getInstance(ctx, input.DBInstanceIdentifier);
    if (inst.status !== "available")
      throw ctx.err(
        "InvalidDBInstanceStateFault",
        `Instance ${inst.id} is not in available state (status: ${inst.status}).`,
      );
    if (inst.replicaSource)
      throw ctx.err("InvalidDBInstanceStateFault", `Cannot stop read replica ${inst.id}.`);
    if (inst.replicaIds.length > 0)
      throw ctx.err(
        "InvalidDBInstanceStateFault",
        `Cannot stop instance ${inst.id} because it has read replicas: ${inst.replicaIds.join(", ")}.`,
      );
    if (input.DBSnapshotIdentifier !== undefined) {
      checkIdentifier(ctx, input.DBSnapshotIdentifier, "DBSnapshotIdentifier");
      if (ctx.r.rds.snapshots.has(input.DBSnapshotIdentifier.toLowerCase()))
        throw ctx.err(
          "DBSnapshotAlreadyExistsFault",
          `Cannot create the snapshot because a snapshot with the identifier ${input.DBSnapshotIdentifier} already exists.`,
        );
      takeSnapshot(
        ctx.w,
        ctx.r,
        inst,
        input.DBSnapshotIdentifier.toLowerCase(),
        "manual",
        [],
        STOP_TIMES.stop,
      );
    }
    runPhases(
      ctx.w,
      inst,
      [["stopping", STOP_TIMES.stop]],
      () => {
        const epoch = inst.epoch;
        ctx.w.clock.schedule(ctx.w.now() + STOP_TIMES.autoStart, () => {
          if (inst.epoch === epoch && inst.status === "stopped")
            runPhases(ctx.w, inst, [["starting", STOP_TIMES.start]]);
        });
      },
      "stopped",
    );
    return { DBInstance: instanceShape(ctx, inst) };
  }),

  /** StartDBInstance: only a `stopped` instance; `starting` → `available`. */
  StartDBInstance: write<StartDBInstanceCommandInput>((ctx, input) => {
    const inst = getInstance(ctx, input.DBInstanceIdentifier);
    if (inst.status !== "stopped")
      throw ctx.err(
        "InvalidDBInstanceStateFault",
        `Instance ${inst.id} cannot be started as it is not in stopped state (status: ${inst.status}).`,
      );
    runPhases(ctx.w, inst, [["starting", STOP_TIMES.start]]);
    return { DBInstance: instanceShape(ctx, inst) };
  }),
};
