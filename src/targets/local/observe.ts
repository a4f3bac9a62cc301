import { readFileSafe } from "./fs-safe.js";
import { join } from "node:path";
import { userError } from "../../errors.js";
import type { Change } from "../../model/change.js";
import { desiredReplica, replicaIndex } from "../../model/desired.js";
import type { Desired, DesiredInstance } from "../../model/desired-types.js";
import type { Observed, ObservedInstance } from "../../model/observed.js";
import { listBackups } from "./backups.js";
import { plannedBinaries } from "./binaries.js";
import { pgdataOf } from "./layout.js";
import { orphanSlots } from "./replicas.js";
import { confDrift } from "./conf-drift.js";
import { restoredHasPassword } from "./restored-password.js";
import { readPasswordFile } from "./secrets.js";
import type { Session } from "./session.js";
import { slotDrift } from "./slots.js";
import { tlsDrift } from "./tls-drift.js";
import { poolerDrift } from "./pgbouncer.js";
import { type NodeView, viewNodes } from "./status.js";

const DAY = 86_400_000;

/** log_min_duration_statement as ALTER SYSTEM left it in postgresql.auto.conf (-1, the default, when unset). */
export async function slowQuerySetting(pgdata: string): Promise<string> {
  try {
    const text = (await readFileSafe(join(pgdata, "postgresql.auto.conf"))) ?? "";
    const m = /^\s*log_min_duration_statement\s*=\s*'?(-?\d+)/m.exec(text);
    return m ? m[1] : "-1";
  } catch {
    return "-1";
  }
}

function instanceOf(d: Desired, want: DesiredInstance, v: NodeView): ObservedInstance {
  const major = (x: string) => x.split(".")[0];
  return {
    name: v.meta.name,
    role: v.meta.role,
    // A node that up can start by itself is not a reason to hold changes back: its start is in `drift`.
    status: v.meta.state === "creating" ? "creating" : "available",
    instanceClass: want.instanceClass,
    engineVersion:
      major(v.meta.pgVersion) === major(want.engineVersion) ? want.engineVersion : v.meta.pgVersion,
    port: v.meta.port,
    // What the local target does not have reads as configured, so it never shows as a change.
    storage: { ...want.storage, maxAllocatedGiB: want.storage.maxAllocatedGiB },
    multiAz: want.multiAz,
    backupRetentionDays: v.meta.role === "primary" ? (v.meta.retentionDays ?? 0) : want.backup.retentionDays,
    backupWindow: want.backup.window,
    maintenanceWindow: want.maintenanceWindow,
    deletionProtection: want.deletionProtection,
    autoMinorVersionUpgrade: want.autoMinorVersionUpgrade,
    performanceInsights: { ...want.performanceInsights },
    logExports: [...want.logExports],
    parameterGroup: want.parameterGroup,
    endpoint: { host: "127.0.0.1", port: v.meta.port },
    pendingModifications: {},
    lastStorageChangeAt: null,
    sourceName: v.meta.role === "replica" ? (v.meta.source ?? d.identifier) : null,
    engine: "postgres",
  };
}

function startChange(v: NodeView): Change {
  const kind = v.meta.role === "replica" ? "replica" : "instance";
  const why =
    v.proc.state === "crashed"
      ? "it stopped without shutting down (a crash, a kill or a reboot); PostgreSQL recovers from its WAL"
      : "it was stopped";
  return {
    resource: v.meta.name,
    kind,
    action: "update",
    field: "state",
    from: v.proc.state,
    to: "running",
    impact: "none",
    reason: `Starts ${v.meta.name}: ${why}`,
  };
}

/**
 * The master password to set: the primary's when DB_MASTER_PASSWORD changed (with every restored
 * instance, which `up` starts first when stopped), or only restored instances that kept an older one
 * (changed while they were stopped, or by an ebdb that did not follow restored instances).
 */
async function passwordDrift(s: Session, views: NodeView[]): Promise<Change | null> {
  const stored = await readPasswordFile(s.layout.passwordFile);
  const want = s.config.masterPassword ?? stored;
  if (!want) return null;
  const restored = views.filter((v) => v.meta.role === "restored" && v.meta.state === "ready" && v.complete);
  const change = (reason: string): Change => ({
    resource: s.config.names.secret,
    kind: "secret",
    action: "update",
    field: "password",
    impact: "none",
    reason,
  });
  if (stored && stored.reveal() !== want.reveal()) {
    const also = restored.length
      ? ` and on restored instance${restored.length > 1 ? "s" : ""} ${restored.map((v) => v.meta.name).join(", ")}`
      : "";
    return change(
      `Sets the master password to DB_MASTER_PASSWORD on ${s.config.identifier}${also} (online; replicas get the new one too)`,
    );
  }
  const stale: string[] = [];
  for (const v of restored) {
    if (v.proc.state === "running" && (await restoredHasPassword(s, v.meta, want)) === false)
      stale.push(v.meta.name);
  }
  if (stale.length === 0) return null;
  return change(
    `Sets the current master password on restored instance${stale.length > 1 ? "s" : ""} ${stale.join(", ")}, which kept an older one (what \`ebdb env\`, \`exec\` and \`psql\` hand out fails there; online)`,
  );
}

/** What the local target finds that the generic diff does not compare: processes to start, nodes to rebuild, backups due. */
async function localDrift(s: Session, views: NodeView[], primary: NodeView): Promise<Change[]> {
  const drift: Change[] = [];
  const running = primary.proc.state === "running";
  for (const v of views) {
    // A half-made replica is finished (rebuilt): replicas between the minimum and the maximum stay.
    if (v.meta.role === "replica" && !v.complete) {
      drift.push({
        resource: v.meta.name,
        kind: "replica",
        action: "update",
        field: "rebuild",
        impact: "none",
        reason: `Rebuilds ${v.meta.name}, left incomplete by an interrupted run (a replica holds no data of its own)`,
      });
    } else if (v.meta.role === "restored" && v.meta.state === "creating") {
      drift.push({
        resource: v.meta.name,
        kind: "instance",
        action: "delete",
        field: "unfinished-restore",
        impact: "none",
        reason: `Removes ${v.meta.name}, a restore an interrupted run left unfinished (the backup is untouched: run \`ebdb restore\` again)`,
      });
    } else if (v.complete && (v.proc.state === "stopped" || v.proc.state === "crashed")) {
      drift.push(startChange(v));
    }
  }
  const config = s.config;
  const password = await passwordDrift(s, views);
  if (password) drift.push(password);
  if (running) {
    {
      const c = await s.admin(primary.meta.port, config.dbName).catch(() => null);
      if (c) {
        try {
          const r = await c.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
          if (r.rows.length === 0) {
            drift.push({
              resource: primary.meta.name,
              kind: "instance",
              action: "update",
              field: "extensions",
              to: ["pg_stat_statements"],
              impact: "none",
              reason: `Creates the pg_stat_statements extension in ${config.dbName}`,
            });
          }
        } finally {
          await c.end().catch(() => {});
        }
      }
      for (const slot of await orphanSlots(s, primary.meta).catch(() => [])) {
        drift.push({
          resource: slot,
          kind: "replica",
          action: "delete",
          field: "slot",
          impact: "none",
          reason: `Drops replication slot ${slot}, left by a removed replica (it would keep WAL forever)`,
        });
      }
    }
  }
  const backups = await listBackups(s);
  for (const b of backups.filter((x) => x.status === "creating")) {
    drift.push({
      resource: b.id,
      kind: "backup",
      action: "delete",
      impact: "none",
      reason: `Removes ${b.id}, a base backup an interrupted run left incomplete`,
    });
  }
  const retention = config.backup.retentionDays;
  // Also right after backups are turned on: apply turns WAL archiving on first, then takes this one.
  if (retention > 0) {
    const automated = backups.filter((b) => b.status === "available" && b.kind === "automated");
    const newest = automated.at(-1);
    if (!newest || Date.now() - Date.parse(newest.createdAt) > DAY) {
      drift.push({
        resource: `${config.identifier} automated backup`,
        kind: "backup",
        action: "create",
        impact: "none",
        reason: newest
          ? "Takes the daily automated base backup (the newest is more than 24 h old)"
          : "Takes an automated base backup (there is none)",
      });
    }
    const old = automated.filter((b) => Date.parse(b.createdAt) <= Date.now() - retention * DAY);
    for (const b of old.slice(0, -1)) {
      drift.push({
        resource: b.id,
        kind: "backup",
        action: "delete",
        impact: "none",
        reason: `Expires automated backup ${b.id} (older than ${retention} days) and the WAL only it needed`,
      });
    }
  }
  // Slots lost past max_slot_wal_keep_size, and settings a reload applies (slots.ts, conf-drift.ts).
  const slotChanges = await slotDrift(s, views, primary);
  const rebuilt = new Set(slotChanges.filter((c) => c.field === "rebuild").map((c) => c.resource));
  return [
    ...drift.filter((c) => !(c.field === "state" && rebuilt.has(c.resource))),
    ...slotChanges,
    ...(await confDrift(s, views, primary)).filter((c) => !rebuilt.has(c.resource)),
    ...(await tlsDrift(s, views)).filter((c) => !rebuilt.has(c.resource)),
  ];
}

/**
 * The local state in the planner's shape. Settings the local target does not have (storage type,
 * KMS, windows, Multi-AZ...) read as the configuration asks, so they never show as changes; what
 * can differ is the nodes, their ports, the backup retention and the slow-query threshold.
 */
export async function localObserve(s: Session): Promise<Observed> {
  const d = s.desired;
  const views = await viewNodes(s);
  const primary = views.find((v) => v.meta.role === "primary");
  // A primary an interrupted first `up` left half-made holds nothing of the user's yet: planned as
  // not there, and made again (createCluster removes what was left and says so).
  const localServer = plannedBinaries(d.config.engineMajor, { env: s.ctx.env, cwd: s.ctx.cwd });
  // PgBouncer in front of the primary (DB_RDS_PROXY_ENABLED): its own changes, or why it cannot run.
  const pooler = await poolerDrift(s);
  if (!primary || primary.meta.state === "creating")
    return { target: "local", primary: null, replicas: [], localServer, ...pooler };
  if (!primary.complete) {
    throw userError(
      "PRIMARY_MISSING",
      `The primary's data directory ${pgdataOf(s.layout, primary.meta.name)} is missing or incomplete; ebdb will not replace it by an empty one.`,
      "Restore it from a backup into a new instance (`ebdb restore --latest` or `--from-snapshot`), or remove everything with `ebdb destroy --yes` and run `ebdb up`.",
    );
  }
  const replicas = views
    .filter((v) => v.meta.role === "replica")
    .map((v) => {
      const n = replicaIndex(d.identifier, v.meta.name) ?? 1;
      const want = d.replicas.find((r) => r.name === v.meta.name) ?? desiredReplica(d.config, "local", n);
      return instanceOf(d, want, v);
    });
  return {
    target: "local",
    primary: instanceOf(d, d.primary, primary),
    replicas,
    parameterGroup: {
      name: d.parameterGroup.name,
      family: d.parameterGroup.family,
      parameters: {
        "rds.force_ssl": "1",
        log_min_duration_statement: await slowQuerySetting(pgdataOf(s.layout, primary.meta.name)),
        shared_preload_libraries: "pg_stat_statements",
      },
    },
    drift: [...(await localDrift(s, views, primary)), ...pooler.drift],
    refused: pooler.refused,
    localServer,
  };
}
