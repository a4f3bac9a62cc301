import { userError } from "../errors.js";
import { checkRestoreName } from "../model/restore-name.js";
import type { Desired } from "../model/desired-types.js";
import type { RestoreResult, RestoreSource, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, openDay2 } from "./day2-common.js";
import { parseRestoreTime } from "./restore-time.js";

export { parseRestoreTime };

export interface RestoreOptions {
  /** --to-time: ISO-8601 with a time zone, e.g. 2024-01-15T12:00:00Z. */
  toTime?: string;
  latest?: boolean;
  fromSnapshot?: string;
  /** --name of the new instance. */
  name?: string;
  /** --switch (AWS): point the application at the restored instance. */
  switch?: boolean;
  target?: Target;
  /** The clock the restore test is recorded by (tests pass the fake's); the real one by default. */
  now?: () => Date;
}

/** The restore source the flags name: exactly one of --to-time, --latest, --from-snapshot. */
export function restoreSource(opts: RestoreOptions): RestoreSource {
  const given = [opts.toTime !== undefined, Boolean(opts.latest), opts.fromSnapshot !== undefined].filter(
    Boolean,
  ).length;
  if (given !== 1) {
    throw userError(
      "BAD_RESTORE_SOURCE",
      given === 0
        ? "restore needs what to restore from."
        : "restore takes only one of --to-time, --latest and --from-snapshot.",
      "Use --to-time <ISO-8601>, --latest, or --from-snapshot <id>.",
    );
  }
  if (opts.toTime !== undefined) return { kind: "time", time: parseRestoreTime(opts.toTime) };
  if (opts.latest) return { kind: "latest" };
  return { kind: "snapshot", id: opts.fromSnapshot! };
}

/**
 * `ebdb restore --to-time T | --latest | --from-snapshot S [--name N]`: always into a NEW instance,
 * never in place. A time outside the restorable window is a user error naming the window.
 */
export async function restore(ctx: CommandContext, opts: RestoreOptions): Promise<RestoreResult> {
  const source = restoreSource(opts);
  const { desired, target } = await openDay2(ctx, opts.target);
  if (opts.name !== undefined) checkRestoreName(desired.identifier, opts.name);
  await announce(ctx, target, desired);
  const result = await target.restore(desired, source, opts.name, ctx.io, { switch: opts.switch });
  await noteRestoreTest(ctx, target, desired, result, source, (opts.now ?? (() => new Date()))());
  return result;
}

/**
 * Records the finished restore for `ebdb audit` ("test disaster recovery procedures periodically").
 * The restore itself succeeded: a record that cannot be written is a warning, not a failure.
 */
async function noteRestoreTest(
  ctx: CommandContext,
  target: Target,
  desired: Desired,
  result: RestoreResult,
  source: RestoreSource,
  at: Date,
): Promise<void> {
  if (!target.recordRestoreTest) return;
  const from =
    source.kind === "snapshot"
      ? `snapshot ${source.id}`
      : source.kind === "time"
        ? `time ${source.time.toISOString()}`
        : "latest";
  try {
    await target.recordRestoreTest(desired, { at: at.toISOString(), instance: result.name, source: from });
  } catch (e) {
    ctx.io.event({
      type: "warning",
      message: `The restore worked, but ebdb could not record it for \`ebdb audit\`: ${(e as Error).message}`,
    });
  }
}
