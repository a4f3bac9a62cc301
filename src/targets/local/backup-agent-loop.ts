import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { CommandContext } from "../../api/context.js";
import { isEbdbError } from "../../errors.js";
import { dailyBackupDue } from "../../model/backup-schedule.js";
import type { Desired } from "../../model/desired-types.js";
import { agentTiming, readAgentRecord } from "./backup-agent.js";
import { expireBackups, listBackups, newBackupId, takeBackup } from "./backups.js";
import { destroyMark } from "./destroy.js";
import { AGENT_WHAT, withLock } from "./lock.js";
import { listMetas } from "./meta.js";
import { loadPg } from "./pg-client.js";
import { inspect } from "./process.js";
import { pgdataOf } from "./layout.js";
import { openSession, type Session } from "./session.js";
import { sweepNodeDirs, sweepTemporaries } from "./sweep.js";

/** What one wake did, for the agent's log. */
export interface AgentStep {
  took: string | null;
  expired: string[];
  /** Archived WAL files removed (older than what the oldest kept backup needs). */
  walRemoved: number;
  /** Why nothing was done, when nothing could be. */
  skipped: string | null;
}

/**
 * One wake of the agent, holding the project's lock (call under it): the daily automated base backup
 * in DB_BACKUP_WINDOW once a day (dailyBackupDue; `up` takes one too when the newest is a day old,
 * observe.ts), then retention (expireBackups: automated backups past DB_BACKUP_RETENTION_DAYS but
 * the newest of them, and the WAL only they needed). Retention is the one `up` applied (the primary's record), not config.env's
 * as edited since. Interrupted work of a killed agent (a backup left creating, temporary files) is
 * swept first, as every command does.
 */
export async function agentStep(s: Session, now: Date, dayMs: number): Promise<AgentStep> {
  const step: AgentStep = { took: null, expired: [], walRemoved: 0, skipped: null };
  const primary = (await listMetas(s.layout)).find((m) => m.role === "primary");
  const retention = primary?.retentionDays ?? 0;
  if (!primary || retention <= 0) {
    step.skipped = primary ? "backups are off" : "there is no primary";
    return step;
  }
  await sweepTemporaries(s.layout);
  await sweepNodeDirs(s);
  const applied: Session = {
    ...s,
    config: { ...s.config, backup: { ...s.config.backup, retentionDays: retention } },
  };
  const automated = (await listBackups(s)).filter((b) => b.status === "available" && b.kind === "automated");
  const newest = automated.at(-1);
  const newestAt = newest ? Date.parse(newest.createdAt) : null;
  if (dailyBackupDue(newestAt, now.getTime(), s.config.backup.window, dayMs)) {
    if ((await inspect(pgdataOf(s.layout, primary.name))).state === "running")
      step.took = (await takeBackup(applied, await newBackupId(s, "automated"), "automated")).id;
    else step.skipped = `the primary ${primary.name} is not running: no backup until it is`;
  }
  const walBefore = await archiveCount(s);
  step.expired = await expireBackups(applied, now, dayMs);
  step.walRemoved = Math.max(0, walBefore - (await archiveCount(s)));
  return step;
}

async function archiveCount(s: Session): Promise<number> {
  return (await readdir(s.layout.archiveDir).catch(() => [] as string[])).length;
}

const log = (message: string) => process.stdout.write(`${new Date().toISOString()} ${message}\n`);

/**
 * The agent's loop (`ebdb backup-agent`, started by `up`): wakes every EBDB_BACKUP_AGENT_INTERVAL
 * seconds and runs agentStep under the project's lock; a command holding the lock makes it try at
 * the next wake. It exits when the project is gone (destroyed, its folder removed) or its record no
 * longer names it (down, destroy, or a newer agent started by `up`).
 */
export async function runBackupAgent(
  ctx: CommandContext,
  desired: Desired,
  identifier: string,
): Promise<number> {
  const timing = agentTiming(ctx.env);
  if (desired.identifier !== identifier) {
    log(`config.env now names ${desired.identifier}, not ${identifier}: exiting.`);
    return 1;
  }
  // Every module it will need, now: an upgrade of ebdb while it runs may replace the files.
  await loadPg();
  log(
    `backup agent of ${identifier} started (pid ${process.pid}; a wake every ${timing.intervalMs / 1000} s).`,
  );
  // Whether it should still run is checked every few seconds (a file or two), so an agent whose
  // project was removed without `destroy` does not linger for a whole interval.
  const check = Math.min(timing.intervalMs, 5_000);
  let due = Date.now() + timing.intervalMs;
  for (;;) {
    await sleep(Math.max(0, Math.min(check, due - Date.now())));
    let s: Session;
    try {
      s = await openSession(ctx, desired);
    } catch (e) {
      log(`exiting: ${(e as Error).message}`);
      return 0;
    }
    const mine = (await readAgentRecord(s.layout))?.pid === process.pid;
    if (!mine || !existsSync(s.layout.stateDir) || existsSync(destroyMark(s.layout))) {
      log(
        mine
          ? `exiting: ${identifier} is gone or being destroyed.`
          : "exiting: the record names another agent (or none).",
      );
      return 0;
    }
    if (Date.now() < due) continue;
    due = Date.now() + timing.intervalMs;
    try {
      const step = await withLock(
        s.layout.lockFile,
        identifier,
        AGENT_WHAT,
        () => agentStep(s, new Date(), timing.dayMs),
        {
          waitMs: 1_000,
        },
      );
      const did = [
        step.took ? `took automated base backup ${step.took}` : null,
        step.expired.length ? `removed ${step.expired.join(", ")}` : null,
        step.walRemoved ? `removed ${step.walRemoved} archived WAL file(s)` : null,
        step.skipped,
      ].filter(Boolean);
      if (did.length) log(did.join("; "));
    } catch (e) {
      // A command holds the lock: again soon. A full disk, the primary going away: at the next wake.
      if (isEbdbError(e) && e.code === "BUSY") due = Date.now() + check;
      log(`${isEbdbError(e) ? e.code : "error"}: ${(e as Error).message}`);
    }
  }
}
