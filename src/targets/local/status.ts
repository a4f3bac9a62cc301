import * as fs from "node:fs/promises";
import { join } from "node:path";
import type { NodeStatus, StatusReport } from "../target.js";
import { listBackups, pitrBases, toBackupInfo } from "./backups.js";
import { dirSize, exists } from "./fs-util.js";
import { pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta } from "./meta.js";
import { findOrphanServers } from "./orphans.js";
import { inspect, type ServerProcess } from "./process.js";
import type { Session } from "./session.js";

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

interface PrimaryFacts {
  lag: Map<string, { bytes: number | null; seconds: number | null }>;
  archiver: {
    lastArchived: string | null;
    lastArchivedAt: string | null;
    failedCount: number;
    failing: boolean;
  } | null;
  now: Date;
}

async function primaryFacts(s: Session, primary: NodeView): Promise<PrimaryFacts | null> {
  if (primary.proc.state !== "running") return null;
  let c: Awaited<ReturnType<Session["admin"]>>;
  try {
    c = await s.admin(primary.meta.port, "postgres", { timeoutMs: 3000 });
  } catch {
    return null;
  }
  try {
    const rep = await c.query<{ name: string; bytes: string | null; seconds: number | null }>(
      `SELECT application_name AS name, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text AS bytes,
              EXTRACT(EPOCH FROM replay_lag)::float8 AS seconds FROM pg_stat_replication`,
    );
    const lag = new Map<string, { bytes: number | null; seconds: number | null }>();
    for (const r of rep.rows) {
      const bytes = r.bytes === null ? null : Number(r.bytes);
      // replay_lag goes NULL once a standby has caught up and nothing new is written.
      lag.set(r.name, { bytes, seconds: r.seconds ?? (bytes === 0 ? 0 : null) });
    }
    const a = (
      await c.query<{
        wal: string | null;
        at: Date | null;
        failed: string;
        failed_at: Date | null;
        now: Date;
      }>(
        "SELECT last_archived_wal AS wal, last_archived_time AS at, failed_count::text AS failed, last_failed_time AS failed_at, clock_timestamp() AS now FROM pg_stat_archiver",
      )
    ).rows[0];
    const failing = a.failed_at !== null && (a.at === null || a.failed_at > a.at);
    return {
      lag,
      archiver: {
        lastArchived: a.wal,
        lastArchivedAt: a.at?.toISOString() ?? null,
        failedCount: Number(a.failed),
        failing,
      },
      now: a.now,
    };
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The status report, in the same shape as the AWS target's. Reads only: it starts and changes nothing. */
export async function localStatus(s: Session): Promise<StatusReport> {
  const [views, orphans] = await Promise.all([viewNodes(s), findOrphanServers(s.layout)]);
  const primary = views.find((v) => v.meta.role === "primary");
  const facts = primary ? await primaryFacts(s, primary) : null;
  const nodes: NodeStatus[] = views.map((v) => {
    const replica = v.meta.role === "replica";
    const lag = replica && v.meta.slot ? facts?.lag.get(v.meta.slot) : undefined;
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
    };
  });
  const retention = s.config.backup.retentionDays;
  const backups = await listBackups(s);
  const available = backups.filter((b) => b.status === "available");
  const bases = pitrBases(available);
  const archiveOn = retention > 0 && (primary?.meta.retentionDays ?? 0) > 0;
  const notes: string[] = [];
  if (!primary) notes.push(`${s.config.identifier} has not been created on this machine: run \`ebdb up\`.`);
  if (retention <= 0)
    notes.push("Backups are off (DB_BACKUP_RETENTION_DAYS=0): no WAL archive and no point-in-time restore.");
  for (const n of nodes) {
    if (n.state !== "running") notes.push(`${n.name} is ${n.state}: \`ebdb up\` brings it back.`);
  }
  for (const o of orphans)
    notes.push(
      `A server that no node owns runs from ${o.dataDirectory}${o.directoryDeleted ? " (deleted)" : ""}: pid ${o.pid}${o.port === null ? "" : `, port ${o.port}`}. ${o.fix}`,
    );
  if (facts?.archiver?.failing) notes.push("The WAL archiver is failing: see `ebdb logs`.");
  if (archiveOn && primary && !facts)
    notes.push("The primary is not running: the latest restorable time is unknown until it is.");
  const sizes = await Promise.all([
    ...views.map((v) => dirSize(pgdataOf(s.layout, v.meta.name))),
    dirSize(s.layout.archiveDir),
    dirSize(s.layout.backupsDir),
  ]);
  const archiveBytes = sizes[views.length];
  const backupBytes = sizes[views.length + 1];
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
      archive: archiveOn
        ? {
            state: facts?.archiver ? (facts.archiver.failing ? "failing" : "ok") : "unknown",
            lastArchived: facts?.archiver?.lastArchived ?? (await newestArchived(s)),
            lastArchivedAt: facts?.archiver?.lastArchivedAt ?? null,
            failedCount: facts?.archiver?.failedCount ?? 0,
          }
        : null,
      list: available.map(toBackupInfo),
      earliestRestorableTime: archiveOn && bases.length ? bases[0].createdAt : null,
      // A restore first flushes the primary's WAL to the archive, so while it runs, "now" is restorable.
      latestRestorableTime: archiveOn && bases.length && facts ? facts.now.toISOString() : null,
    },
    storage: {
      usedBytes: primary ? nodeBytes[views.indexOf(primary)] : null,
      allocatedGiB: null,
      maxAllocatedGiB: null,
    },
    alarmsInAlarm: [],
    pendingModifications: {},
    notes,
    orphans,
  };
}

async function newestArchived(s: Session): Promise<string | null> {
  try {
    const files = (await fs.readdir(s.layout.archiveDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
    return files.at(-1) ?? null;
  } catch {
    return null;
  }
}
