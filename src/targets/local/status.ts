import * as fs from "node:fs/promises";
import { join } from "node:path";
import type { NodeStatus, ReplicationSlotStatus, StatusReport } from "../target.js";
import { archiveFailures } from "./archive-log.js";
import { archivedSegment } from "./conf.js";
import { listBackups, pitrBases, toBackupInfo } from "./backups.js";
import { usageWithBackups } from "./disk-usage.js";
import { exists } from "./fs-util.js";
import { logFileOf, pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta } from "./meta.js";
import { findOrphanServers } from "./orphans.js";
import { inspect, type ServerProcess } from "./process.js";
import type { Session } from "./session.js";
import { archiverRuns, type PrimaryFacts, probeNode, waitingSegments } from "./status-probe.js";

export interface NodeView {
  meta: NodeMeta;
  proc: ServerProcess;
  /** The data directory exists and is complete (PG_VERSION present). */
  complete: boolean;
}

/** Every node with its process state. */
export async function viewNodes(s: Session): Promise<NodeView[]> {
  const metas = await listMetas(s.layout);
  return Promise.all(
    metas.map(async (meta) => {
      const pgdata = pgdataOf(s.layout, meta.name);
      return {
        meta,
        proc: await inspect(pgdata),
        complete: meta.state === "ready" && (await exists(join(pgdata, "PG_VERSION"))),
      };
    }),
  );
}

/** A node's state as a user reads it: running, starting, stopped, crashed, creating (interrupted), missing. */
export function stateOf(v: NodeView): string {
  if (v.meta.state === "creating") return v.proc.state === "running" ? "creating" : "incomplete";
  if (!v.complete) return "missing";
  return v.proc.state;
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The file system holding the data, as df shows it (used = size - free; share of what is usable). */
async function diskOf(path: string): Promise<StatusReport["storage"]["disk"] | null> {
  try {
    const st = await fs.statfs(path);
    const used = (st.blocks - st.bfree) * st.bsize;
    const usable = used + st.bavail * st.bsize;
    return {
      path,
      sizeBytes: st.blocks * st.bsize,
      availableBytes: st.bavail * st.bsize,
      usedPercent: usable > 0 ? Math.ceil((used / usable) * 100) : 0,
    };
  } catch {
    return null;
  }
}

type Archive = NonNullable<StatusReport["backups"]["archive"]>;

/**
 * The WAL archive's state: from pg_stat_archiver when the primary answers, else from the archive
 * directory and the server log (so a failing archiver reads as failing even then), with the last
 * error and since when it fails from the log.
 */
async function archiveState(s: Session, primary: NodeView, facts: PrimaryFacts | null): Promise<Archive> {
  const log = logFileOf(s.layout, primary.meta.name);
  if (facts) {
    const a = facts.archiver;
    const failures = a.failing ? await archiveFailures(log, s.layout.archiveDir, a.lastArchivedAt) : null;
    // Segments waiting and no archiver: it is gone (a crash), not merely slow.
    const stopped =
      !a.failing && a.waiting > 0 && primary.proc.pid && archiverRuns(primary.proc.pid) === false;
    return {
      state: a.failing ? "failing" : stopped ? "stopped" : "ok",
      lastArchived: a.lastArchived ?? (await newestArchived(s))?.name ?? null,
      lastArchivedAt: a.lastArchivedAt?.toISOString() ?? null,
      failedCount: a.failedCount,
      failingSince: a.failing ? (failures?.first ?? a.lastFailedAt?.toISOString() ?? null) : null,
      lastError: failures?.lastError ?? null,
      waiting: a.waiting,
    };
  }
  const newest = await newestArchived(s);
  const failures = await archiveFailures(log, s.layout.archiveDir, newest?.at ?? null);
  const waiting = await waitingSegments(pgdataOf(s.layout, primary.meta.name));
  return {
    // Nothing waiting and no failure logged: it keeps up, even if the primary cannot say so now.
    state: failures.count > 0 ? "failing" : waiting === 0 ? "ok" : "unknown",
    lastArchived: newest?.name ?? null,
    lastArchivedAt: newest?.at.toISOString() ?? null,
    failedCount: failures.count,
    failingSince: failures.first,
    lastError: failures.lastError,
    waiting,
  };
}

/** The sentences about replication slots worth saying. */
function slotNotes(slots: ReplicationSlotStatus[], archive: boolean): string[] {
  const notes: string[] = [];
  for (const x of slots) {
    const cap = x.capBytes === null ? "" : ` (max_slot_wal_keep_size ${mib(x.capBytes)})`;
    if (x.replica === null) {
      notes.push(
        `Replication slot ${x.name} serves no replica${x.heldBytes === null ? "" : ` and holds ${mib(x.heldBytes)} of WAL`}: \`ebdb up\` drops it.`,
      );
    } else if (x.lost) {
      const what =
        x.walStatus === "lost"
          ? `was lost: the WAL it held went past the cap${cap}, and the primary removed it`
          : "is gone from the primary";
      notes.push(
        `Replication slot ${x.name} of ${x.replica} ${what}. ${
          archive
            ? `${x.replica} catches up from the WAL archive; \`ebdb up\` makes a new slot so it streams again.`
            : `With backups off there is no archive to catch up from: \`ebdb up\` rebuilds ${x.replica}.`
        }`,
      );
    } else if (x.walStatus === "unreserved") {
      notes.push(
        `Replication slot ${x.name} of ${x.replica} holds ${mib(x.heldBytes ?? 0)} of WAL, past the cap${cap}: it is lost at the next checkpoint unless ${x.replica} catches up (is it running?).`,
      );
    }
  }
  return notes;
}

/** The status report, in the same shape as the AWS target's. Reads only: it starts and changes nothing. */
export async function localStatus(s: Session): Promise<StatusReport> {
  // Everything that does not depend on another runs at once: the nodes' probes (a TLS login each),
  // the /proc scan, one du (a child process) and the backups' records.
  const orphansP = findOrphanServers(s.layout, s.user);
  const diskP = diskOf(s.layout.dataRoot);
  const backupsP = listBackups(s);
  // Awaited below; until then a rejection must not count as unhandled (it ends the process).
  for (const p of [orphansP, diskP, backupsP]) p.catch(() => {});
  const views = await viewNodes(s);
  // One du (C, no Node promise per file) for the data and the archive; the backups' total is the
  // one recorded when a backup came or went, so status never walks every snapshot.
  const sizesP = usageWithBackups(s, [
    ...views.map((v) => pgdataOf(s.layout, v.meta.name)),
    s.layout.archiveDir,
  ]);
  sizesP.catch(() => {});
  const primary = views.find((v) => v.meta.role === "primary");
  const replicaMetas = views.filter((v) => v.meta.role === "replica").map((v) => v.meta);
  const [probes, orphans, disk] = await Promise.all([
    Promise.all(
      views.map((v) =>
        v.proc.state === "running" ? probeNode(s, v, v === primary ? replicaMetas : undefined) : null,
      ),
    ),
    orphansP,
    diskP,
  ]);
  const facts = primary ? (probes[views.indexOf(primary)]?.facts ?? null) : null;
  const nodes: NodeStatus[] = views.map((v, i) => {
    const replica = v.meta.role === "replica";
    const lag = replica && v.meta.slot ? facts?.lag.get(v.meta.slot) : undefined;
    const probe = probes[i]?.probe;
    return {
      name: v.meta.name,
      role: v.meta.role,
      state: stateOf(v),
      host: "127.0.0.1",
      port: v.meta.port,
      pid: v.proc.pid,
      instanceClass: null,
      lagBytes: lag?.bytes ?? null,
      lagSeconds: lag?.seconds ?? null,
      connections: probe?.connections ?? null,
      refusing: probe ? (probe.refusing ?? (probe.error ? "not answering" : null)) : null,
    };
  });
  const retention = s.config.backup.retentionDays;
  const backups = await backupsP;
  const available = backups.filter((b) => b.status === "available");
  const bases = pitrBases(available);
  const archiveOn = retention > 0 && (primary?.meta.retentionDays ?? 0) > 0;
  const notes: string[] = [];
  if (!primary) notes.push(`${s.config.identifier} has not been created on this machine: run \`ebdb up\`.`);
  if (retention <= 0)
    notes.push("Backups are off (DB_BACKUP_RETENTION_DAYS=0): no WAL archive and no point-in-time restore.");
  for (const [i, n] of nodes.entries()) {
    if (n.state !== "running") {
      notes.push(`${n.name} is ${n.state}: \`ebdb up\` brings it back.`);
      continue;
    }
    const probe = probes[i]?.probe;
    if (!probe) continue;
    const c = probe.connections;
    const counts = c
      ? ` (${c.used}/${c.max} connections in use, ${c.reservedForSuperuser} of them kept for ebdb)`
      : "";
    if (probe.refusing === "too many clients")
      notes.push(
        `${n.name} is running but refuses new connections: too many clients${counts}. Close idle connections (or pool them: PgBouncer), or raise max_connections.`,
      );
    else if (probe.refusing) notes.push(`${n.name} is running but refuses connections: ${probe.refusing}.`);
    if (probe.error && probe.refusing !== "too many clients")
      notes.push(`ebdb could not query ${n.name}: ${probe.error}`);
  }
  for (const o of orphans)
    notes.push(
      `A server that no node owns runs from ${o.dataDirectory}${o.directoryDeleted ? " (deleted)" : ""}: pid ${o.pid}${o.port === null ? "" : `, port ${o.port}`}. ${o.fix}`,
    );
  const archive = archiveOn && primary ? await archiveState(s, primary, facts) : null;
  if (archive?.state === "failing") {
    const full = /No space left on device/i.test(archive.lastError ?? "");
    notes.push(
      `The WAL archiver is failing${archive.failingSince ? ` since ${archive.failingSince}` : ""} (${archive.failedCount} failure(s)${archive.lastError ? `; last error: ${archive.lastError}` : ""}): nothing after ${archive.lastArchivedAt ?? "the last archived segment"} can be restored yet. ${
        full ? `Free space on the disk holding ${s.layout.archiveDir}.` : "See `ebdb logs`."
      }`,
    );
  }
  if (archive?.state === "stopped") {
    notes.push(
      `The WAL archiver is not running (PostgreSQL starts it again within a minute of a crash): ${archive.waiting} segment(s) wait to be archived.`,
    );
  }
  if (archiveOn && primary && !facts) {
    notes.push(
      primary.proc.state === "running"
        ? `The primary is running but ebdb could not query it (${probes[views.indexOf(primary)]?.probe.refusing ?? probes[views.indexOf(primary)]?.probe.error ?? "no answer"}): the latest restorable time is unknown until it can.`
        : "The primary is not running: the latest restorable time is unknown until it is.",
    );
  }
  if (facts) notes.push(...slotNotes(facts.slots, archiveOn));
  if (disk && disk.usedPercent >= 90) {
    notes.push(
      `The disk holding the data (${disk.path}) is ${disk.usedPercent}% full, ${mib(disk.availableBytes)} available: when it fills, the primary stops accepting writes and snapshots, restores and replicas fail. Free some space.`,
    );
  }
  const { sizes, backups: backupBytes } = await sizesP;
  const archiveBytes = sizes[views.length];
  const nodeBytes = sizes.slice(0, views.length);
  if (views.length > 0) {
    notes.push(
      `Disk: ${views.map((v, i) => `${v.meta.name} ${mib(nodeBytes[i])}`).join(", ")}; WAL archive ${mib(archiveBytes)}; base backups ${mib(backupBytes)} (under ${s.layout.dataRoot}).`,
    );
  }
  const engineVersion = primary?.meta.pgVersion ?? s.config.engineVersion;
  return {
    target: "local",
    identifier: s.config.identifier,
    engine: "postgres",
    engineVersion,
    nodes,
    backups: {
      enabled: retention > 0,
      retentionDays: retention,
      archive,
      list: available.map(toBackupInfo),
      earliestRestorableTime: archiveOn && bases.length ? bases[0].createdAt : null,
      // A restore first flushes the primary's WAL to the archive, so while it runs, "now" is restorable.
      latestRestorableTime: archiveOn && bases.length && facts ? facts.now.toISOString() : null,
      space: { backupsBytes: backupBytes, archiveBytes },
    },
    storage: {
      usedBytes: primary ? nodeBytes[views.indexOf(primary)] : null,
      allocatedGiB: null,
      maxAllocatedGiB: null,
      disk,
    },
    alarmsInAlarm: [],
    pendingModifications: {},
    notes,
    orphans,
    replicationSlots: primary ? (facts?.slots ?? null) : [],
  };
}

/** The newest segment in the archive and when it arrived there (its mtime); null when there is none. */
async function newestArchived(s: Session): Promise<{ name: string; at: Date } | null> {
  try {
    const files = (await fs.readdir(s.layout.archiveDir)).filter((f) => archivedSegment(f)).sort();
    const file = files.at(-1);
    if (!file) return null;
    return { name: archivedSegment(file)!, at: (await fs.stat(join(s.layout.archiveDir, file))).mtime };
  } catch {
    return null;
  }
}
