import type pg from "pg";
import type { Change } from "../../model/change.js";
import type { ReplicationSlotStatus } from "../target.js";
import type { NodeMeta } from "./meta.js";
import type { Session } from "./session.js";
import type { NodeView } from "./status.js";

/**
 * The physical replication slots on the primary and the WAL each holds there, from
 * pg_replication_slots (wal_status and safe_wal_size, PostgreSQL 13+: see "System Views,
 * pg_replication_slots" in the PostgreSQL docs). `c` is an admin connection to the primary; each
 * replica's slot is reported, a slot gone from the primary as lost (walStatus null).
 */
export async function readSlots(c: pg.Client, replicas: NodeMeta[]): Promise<ReplicationSlotStatus[]> {
  const cap = (
    await c.query<{ mb: string }>(
      "SELECT setting AS mb FROM pg_settings WHERE name = 'max_slot_wal_keep_size'",
    )
  ).rows[0];
  const capMB = cap ? Number(cap.mb) : -1;
  const capBytes = capMB >= 0 ? capMB * 1024 * 1024 : null;
  const rows = (
    await c.query<{
      name: string;
      active: boolean;
      wal_status: string | null;
      safe: string | null;
      held: string | null;
    }>(
      `SELECT slot_name AS name, active, wal_status, safe_wal_size::text AS safe,
              pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS held
         FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY slot_name`,
    )
  ).rows;
  const owner = new Map(replicas.filter((m) => m.slot).map((m) => [m.slot!, m.name]));
  const out: ReplicationSlotStatus[] = rows.map((r) => ({
    name: r.name,
    replica: owner.get(r.name) ?? null,
    active: r.active,
    walStatus: r.wal_status,
    heldBytes: r.held === null ? null : Number(r.held),
    safeBytes: r.safe === null ? null : Number(r.safe),
    capBytes,
    lost: r.wal_status === "lost",
  }));
  for (const m of replicas) {
    if (m.slot && m.state === "ready" && !rows.some((r) => r.name === m.slot)) {
      out.push({
        name: m.slot,
        replica: m.name,
        active: false,
        walStatus: null,
        heldBytes: null,
        safeBytes: null,
        capBytes,
        lost: true,
      });
    }
  }
  return out;
}

/**
 * Makes `slot` usable on the primary: created reserving WAL from now when missing, dropped and
 * created again when lost (a lost slot never streams again). Returns what it did. `c` is an admin
 * connection to the primary.
 */
export async function ensureSlot(c: pg.Client, slot: string): Promise<"created" | "recreated" | "kept"> {
  const r = await c.query<{ wal_status: string | null; active_pid: number | null }>(
    "SELECT wal_status, active_pid FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
  if (r.rows.length && r.rows[0].wal_status !== "lost") return "kept";
  if (r.rows.length) {
    // A walsender may still hold it for a moment: end it, then drop.
    if (r.rows[0].active_pid !== null)
      await c.query("SELECT pg_terminate_backend($1)", [r.rows[0].active_pid]);
    for (let i = 0; ; i++) {
      try {
        await c.query("SELECT pg_drop_replication_slot($1)", [slot]);
        break;
      } catch (e) {
        if (i >= 50 || !/is active/.test((e as Error).message)) throw e;
        await new Promise((ok) => setTimeout(ok, 20));
      }
    }
  }
  await c.query(
    "SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
    [slot],
  );
  return r.rows.length ? "recreated" : "created";
}

/** Recreates a replica's lost (or missing) slot on the running primary (`up`). */
export async function recreateSlot(s: Session, primary: NodeMeta, replica: NodeMeta): Promise<string> {
  const slot = replica.slot!;
  const did = await s.withAdmin(primary.port, "postgres", (c) => ensureSlot(c, slot));
  if (did === "kept") return `Replication slot ${slot} of ${replica.name} is in use again: nothing to do`;
  return `${did === "recreated" ? "Recreated" : "Created"} replication slot ${slot} of ${replica.name}; it catches up from the WAL archive, then streams`;
}

/**
 * What `up` does about replicas whose slot the primary lost (their WAL went past
 * max_slot_wal_keep_size) or no longer has: with backups on, a new slot (the replica catches up
 * from the WAL archive, which holds every segment the primary removed); with backups off there is
 * nothing to catch up from, so the replica is rebuilt (it holds no data of its own).
 */
export async function slotDrift(s: Session, views: NodeView[], primary: NodeView): Promise<Change[]> {
  if (primary.proc.state !== "running") return [];
  const replicas = views.filter((v) => v.meta.role === "replica" && v.complete && v.meta.slot);
  if (replicas.length === 0) return [];
  const slots = await s
    .withAdmin(primary.meta.port, "postgres", (c) =>
      readSlots(
        c,
        replicas.map((v) => v.meta),
      ),
    )
    .catch(() => null);
  if (!slots) return [];
  const archive = s.config.backup.retentionDays > 0 && (primary.meta.retentionDays ?? 0) > 0;
  const changes: Change[] = [];
  for (const v of replicas) {
    const slot = slots.find((x) => x.name === v.meta.slot);
    if (!slot?.lost) continue;
    const why =
      slot.walStatus === "lost"
        ? "was lost: the WAL it held went past max_slot_wal_keep_size"
        : "is gone from the primary";
    changes.push(
      archive
        ? {
            resource: v.meta.name,
            kind: "replica",
            action: "update",
            field: "slot",
            impact: "none",
            reason: `Recreates replication slot ${v.meta.slot} of ${v.meta.name}, which ${why}; ${v.meta.name} catches up from the WAL archive`,
          }
        : {
            resource: v.meta.name,
            kind: "replica",
            action: "update",
            field: "rebuild",
            impact: "none",
            reason: `Rebuilds ${v.meta.name}: its replication slot ${why}, and with backups off there is no WAL archive to catch up from (a replica holds no data of its own)`,
          },
    );
  }
  return changes;
}
