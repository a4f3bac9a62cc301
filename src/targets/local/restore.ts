import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isEbdbError, systemError, userError } from "../../errors.js";
import { checkRestoreName, defaultRestoreName } from "../../model/restore-name.js";
import type { RestoreResult, RestoreSource } from "../target.js";
import { type BackupMeta, listBackups, pitrBases } from "./backups.js";
import { copyBackupData } from "./backup-data.js";
import { archiveFailures } from "./archive-log.js";
import type { RecoveryTarget } from "./conf.js";
import { faultPoint } from "./fault.js";
import { ensureDir } from "./fs-safe.js";
import { logFileOf, nodeDir, passMode, pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta, writeMeta } from "./meta.js";
import { projectCertificate, writeNodeFiles } from "./node-files.js";
import { reservedPorts, rewriteConf, startNode, syncInBackground } from "./nodes.js";
import { setMasterPassword } from "./roles.js";
import { choosePort } from "./ports.js";
import { stopServersUnder } from "./orphans.js";
import { inspect, stopServer, tail } from "./process.js";
import type { Session } from "./session.js";
import { requirePrimary, requireRunningPrimary, settingsFor } from "./settings.js";
import { removeNodeDir } from "./sweep.js";
import { dropPrefetched, prefetchSegments } from "./restore-prefetch.js";

/**
 * Makes everything the primary committed so far restorable, and says up to when: a last
 * transaction (so recovery always finds a commit after any target time up to now), a WAL segment
 * switch, and a wait until the archiver has copied that segment. Returns the latest restorable time
 * and `committedLsn`, the WAL written up to that last commit: a recovery to the latest must replay past it.
 */
export async function flushArchive(
  s: Session,
  primary: NodeMeta,
): Promise<{ at: Date; committedLsn: string }> {
  const { at, wal, committedLsn } = await s.withAdmin(primary.port, "postgres", async (c) => {
    const t = (await c.query<{ at: Date }>("SELECT clock_timestamp() AS at")).rows[0].at;
    await c.query("BEGIN");
    await c.query("SELECT pg_current_xact_id()");
    await c.query("COMMIT");
    const l = (await c.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0].lsn;
    const w = (await c.query<{ wal: string }>("SELECT pg_walfile_name(pg_switch_wal()) AS wal")).rows[0].wal;
    return { at: t, wal: w, committedLsn: l };
  });
  const started = Date.now();
  const deadline = started + 30_000;
  let look = started + 200;
  let looks = 0;
  const archived = () => ["", ".zst", ".gz"].some((x) => existsSync(join(s.layout.archiveDir, wal + x)));
  while (!archived()) {
    if (Date.now() >= look) {
      look = Date.now() + 200;
      // A connection wakes the postmaster, which restarts an archiver lost in a crash only then.
      // And a primary gone meanwhile (killed) never archives it: say so now, not in 30 s.
      if (Date.now() - started > 1000 && ++looks % 5 === 0)
        await s
          .withAdmin(primary.port, "postgres", (c) => c.query("SELECT 1"))
          .catch(async (e) => {
            if ((await inspect(pgdataOf(s.layout, primary.name))).state !== "running") throw e;
          });
      // The archiver tries a segment 3 times, 1 s apart: failing thrice, it is failing, not slow.
      const f = await archiveFailures(logFileOf(s.layout, primary.name), s.layout.archiveDir, at);
      if (f.count >= 3)
        throw systemError(
          "ARCHIVE_FAILING",
          `The WAL archiver is failing (${f.count} failures since ${f.first}): ${f.lastError}`,
          "See `ebdb status` (archive) and `ebdb logs`; fix the cause, then try again.",
        );
    }
    if (Date.now() > deadline) {
      throw systemError(
        "ARCHIVE_STUCK",
        `WAL segment ${wal} did not reach the archive (${s.layout.archiveDir}) within 30 s.`,
        "See `ebdb status` (archive) and `ebdb logs` for the archiver's errors.",
      );
    }
    await sleep(5);
  }
  return { at, committedLsn };
}

/**
 * Whether a failed connection to a starting server is only "not yet": not listening yet, or
 * PostgreSQL's cannot_connect_now (57P03: starting up, not yet accepting connections).
 */
function notYet(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return (
    code === "57P03" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    /terminated|timeout/i.test(String(e))
  );
}

/** How long one other connection error may last before the restore gives up on it (ms). */
const REFUSED_MS = 10_000;

/**
 * Waits until a restoring instance has replayed to its target and promoted (accepts writes).
 * Every wait is bounded and says why it gave up: the server stopping (its log), a connection
 * refused for another reason than starting up for REFUSED_MS (e.g. the restored data predates
 * ebdb's own superuser: the archive lacks WAL the backup needs), or no replay progress for `stallMs`.
 */
async function waitPromoted(s: Session, meta: NodeMeta, stallMs = 120_000): Promise<void> {
  const pgdata = pgdataOf(s.layout, meta.name);
  // A big restore may replay for a long time: the bound is on standing still, not on the whole.
  let deadline = Date.now() + stallMs;
  let replayed = "";
  let refused = null as { since: number; error: string } | null;
  for (;;) {
    const proc = await inspect(pgdata);
    if (proc.state === "crashed" || !proc.pid) {
      throw systemError(
        "RESTORE_FAILED",
        `Recovery of ${meta.name} stopped.`,
        `Its log (${logFileOf(s.layout, meta.name)}):\n${await tail(logFileOf(s.layout, meta.name))}`,
      );
    }
    // As ebdb's own superuser: the backup may hold an older master password than the configuration's.
    let r: { r: boolean; lsn: string | null } = { r: true, lsn: null };
    try {
      r = await s.withAdmin(meta.port, "postgres", async (c) => {
        const q = await c.query<{ r: boolean; lsn: string | null }>(
          "SELECT pg_is_in_recovery() AS r, pg_last_wal_replay_lsn()::text AS lsn",
        );
        return q.rows[0];
      });
      refused = null;
    } catch (e) {
      const error = (e as Error).message;
      if (!notYet(e)) refused = refused?.error === error ? refused : { since: Date.now(), error };
    }
    if (!r.r) return;
    if (refused && Date.now() - refused.since > REFUSED_MS) {
      throw systemError(
        "RESTORE_FAILED",
        `${meta.name} started but refuses ebdb's connections: ${refused.error}.`,
        /password authentication failed/.test(refused.error)
          ? `Its data predates ebdb's own setup of this database: the WAL archive (${s.layout.archiveDir}) lacks segments the backup needs. See its log: ${logFileOf(s.layout, meta.name)}`
          : `See its log: ${logFileOf(s.layout, meta.name)}`,
      );
    }
    if (r.lsn && r.lsn !== replayed) {
      replayed = r.lsn;
      deadline = Date.now() + stallMs;
    }
    if (Date.now() > deadline)
      throw systemError(
        "RESTORE_TIMEOUT",
        `${meta.name} made no progress for ${stallMs / 1000} s (replayed up to ${replayed || "nothing"}).`,
        `See its log: ${logFileOf(s.layout, meta.name)}`,
      );
    await sleep(20);
  }
}

/**
 * Fails (RESTORE_INCOMPLETE) when the promoted instance replayed less WAL than `lsn`: the archive lacks
 * a segment in between, and the instance would silently hold less than the primary had committed.
 * pg_last_wal_replay_lsn() stays at the last record applied once recovery has ended (PostgreSQL docs,
 * "Recovery Control Functions").
 */
async function requireReplayedTo(s: Session, meta: NodeMeta, lsn: string): Promise<void> {
  const r = await s.withAdmin(meta.port, "postgres", async (c) => {
    const q = await c.query<{ ok: boolean; at: string | null }>(
      "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok, pg_last_wal_replay_lsn()::text AS at",
      [lsn],
    );
    return q.rows[0];
  });
  if (r.ok) return;
  throw systemError(
    "RESTORE_INCOMPLETE",
    `Recovery of ${meta.name} ended at WAL ${r.at ?? "its base backup"}, before ${lsn}, where the primary's last commit is: the WAL archive lacks a segment in between, so it would hold less than the primary.`,
    `See which segment its log names (${logFileOf(s.layout, meta.name)}) and the archive (${s.layout.archiveDir}); \`ebdb snapshot create\` takes a new base backup from which later restores need no missing WAL.`,
  );
}

interface Plan {
  base: BackupMeta;
  target: RecoveryTarget;
  restoredTo: string | null;
  from: string;
  /**
   * For --latest: the WAL the recovery must have replayed. PostgreSQL fails a recovery that ends before
   * a time or LSN target, but with none it ends quietly wherever the archive runs out.
   */
  mustReach?: string;
}

async function planRestore(s: Session, from: RestoreSource): Promise<Plan> {
  const backups = (await listBackups(s)).filter((b) => b.status === "available");
  if (from.kind === "snapshot") {
    const base = backups.find((b) => b.id === from.id);
    if (!base) {
      throw userError(
        "SNAPSHOT_NOT_FOUND",
        `There is no snapshot ${from.id}.`,
        backups.length
          ? `Snapshots: ${backups.map((b) => b.id).join(", ")}.`
          : "There are no snapshots: `ebdb snapshot create` takes one.",
      );
    }
    if (base.method === "cold") {
      // Consistent once the primary's first setup is replayed: that WAL is in the archive.
      await flushArchive(s, await requireRunningPrimary(s, "restoring this automated backup"));
      return {
        base,
        target: { kind: "lsn", lsn: base.consistentLsn, inclusive: false },
        restoredTo: base.createdAt,
        from: `snapshot ${base.id}`,
      };
    }
    return { base, target: { kind: "immediate" }, restoredTo: base.createdAt, from: `snapshot ${base.id}` };
  }
  if (s.config.backup.retentionDays <= 0) {
    throw userError(
      "PITR_DISABLED",
      "Backups are off (DB_BACKUP_RETENTION_DAYS=0), so there is no point-in-time restore.",
      "Restore a manual snapshot with --from-snapshot, or turn backups on (DB_BACKUP_RETENTION_DAYS=7 and ebdb up).",
    );
  }
  const primary = await requireRunningPrimary(s, "a point-in-time restore");
  const { at: latest, committedLsn } = await flushArchive(s, primary);
  const bases = pitrBases(backups);
  if (bases.length === 0) {
    throw userError(
      "NO_BASE_BACKUP",
      "There is no base backup to restore from yet.",
      "Take one with `ebdb snapshot create`.",
    );
  }
  const earliest = new Date(bases[0].createdAt);
  if (from.kind === "latest") {
    return {
      base: bases[bases.length - 1],
      target: { kind: "latest" },
      restoredTo: latest.toISOString(),
      from: "the latest restorable time",
      mustReach: committedLsn,
    };
  }
  const t = from.time;
  if (Number.isNaN(t.getTime()) || t < earliest || t > latest) {
    throw userError(
      "RESTORE_TIME_OUT_OF_RANGE",
      `${Number.isNaN(t.getTime()) ? "That time" : t.toISOString()} is outside the restorable window, ${earliest.toISOString()} to ${latest.toISOString()}.`,
      "Choose a time within it (ebdb status shows the window), or use --latest.",
      { earliestRestorableTime: earliest.toISOString(), latestRestorableTime: latest.toISOString() },
    );
  }
  const base = [...bases].reverse().find((b) => new Date(b.createdAt) <= t)!;
  return {
    base,
    target: { kind: "time", time: t.toISOString() },
    restoredTo: t.toISOString(),
    from: `point in time ${t.toISOString()}`,
  };
}

/**
 * Restores into a NEW instance on its own port, never in place (as RDS does): a copy of the base
 * backup, recovery.signal, restore_command copying from the WAL archive, and the recovery target;
 * PostgreSQL replays and promotes. The instance appears in `status` (role restored).
 */
export async function restoreInstance(
  s: Session,
  from: RestoreSource,
  as: string | undefined,
): Promise<RestoreResult> {
  const primary = await requirePrimary(s);
  const taken = new Set((await listMetas(s.layout)).map((m) => m.name));
  if (as !== undefined) {
    checkRestoreName(s.config.identifier, as);
    if (taken.has(as)) {
      throw userError(
        "NAME_IN_USE",
        `An instance named ${as} exists already.`,
        "Choose another --name, or destroy that one first.",
      );
    }
  }
  const now = new Date();
  let name = as ?? defaultRestoreName(s.config.identifier, now);
  for (let n = 2; as === undefined && taken.has(name); n++)
    name = defaultRestoreName(s.config.identifier, now, n);
  const plan = await planRestore(s, from);
  const [bins, pw] = await Promise.all([s.binaries(), s.password()]);
  const port = await choosePort(primary.port + 10, await reservedPorts(s), {
    what: `restored instance ${name}`,
  });
  let meta: NodeMeta = {
    name,
    role: "restored",
    port,
    state: "creating",
    createdAt: new Date().toISOString(),
    pgVersion: plan.base.pgVersion,
    source: primary.name,
    restoredFrom: plan.from,
    restoredTo: plan.restoredTo,
    recovery: plan.target,
  };
  await ensureDir(nodeDir(s.layout, name), passMode(s.user));
  await writeMeta(s.layout, meta);
  faultPoint("restore:recorded");
  const pgdata = pgdataOf(s.layout, name);
  try {
    await copyBackupData(s, plan.base.id, pgdata);
    faultPoint("restore:copied");
    // The WAL to replay, unpacked ahead in parallel rather than by a shell per segment during replay.
    await prefetchSegments(s.layout.archiveDir, pgdata, plan.base.startWal, plan.target, s.user);
    await writeNodeFiles(pgdata, settingsFor(s, meta, bins.major), s.user, {
      cert: await projectCertificate(s.layout),
    });
    meta = await startNode(s, bins, meta);
    faultPoint("restore:started");
    await waitPromoted(s, meta);
    await dropPrefetched(pgdata, s.user);
    faultPoint("restore:promoted");
    if (plan.mustReach) await requireReplayedTo(s, meta, plan.mustReach);
    // RDS keeps the snapshot's master password; ebdb gives the restore the current one, so what
    // `env` prints works on it too.
    await s.withAdmin(meta.port, "postgres", (c) =>
      setMasterPassword(c, s.config.masterUsername, pw, bins.major),
    );
  } catch (e) {
    // Nothing of the user's is lost by removing a restore that did not finish (its server first);
    // its log goes into the error.
    await stopServer(pgdata, { timeoutMs: 10_000 }).catch(() => {});
    await stopServersUnder(nodeDir(s.layout, name), s.user).catch(() => []);
    await removeNodeDir(s, name).catch(() => {});
    throw systemError(
      "RESTORE_FAILED",
      `Restoring ${name} failed: ${(e as Error).message}`,
      isEbdbError(e) ? e.hint : undefined,
      e,
    );
  }
  meta = { ...meta, state: "ready", recovery: undefined };
  // Its configuration without the recovery settings, for its next start.
  await writeMeta(s.layout, meta);
  await rewriteConf(s, bins, meta);
  syncInBackground();
  return { name, host: "127.0.0.1", port: meta.port, restoredTo: plan.restoredTo };
}
