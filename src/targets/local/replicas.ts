import { setTimeout as sleep } from "node:timers/promises";
import { systemError, userError } from "../../errors.js";
import { replicaIndex, replicaName } from "../../model/desired.js";
import { onlineCopy } from "./backups.js";
import type { PgBinaries } from "./binaries.js";
import { faultPoint } from "./fault.js";
import { ensureDir } from "./fs-safe.js";
import { nodeDir, passMode, pgdataOf } from "./layout.js";
import { REPLICATION_USER } from "./roles.js";
import { listMetas, type NodeMeta, slotName, writeMeta } from "./meta.js";
import { projectCertificate, writeNodeFiles } from "./node-files.js";
import { reservedPorts, startNode } from "./nodes.js";
import { choosePort } from "./ports.js";
import { stopServersUnder } from "./orphans.js";
import { inspect, stopServer } from "./process.js";
import type { Session } from "./session.js";
import { ensureSlot } from "./slots.js";
import { requireRunningPrimary, settingsFor } from "./settings.js";
import { removeNodeDir } from "./sweep.js";

/** The next free replica name: the lowest `<identifier>-replica-<n>` not in use. */
export async function nextReplicaName(s: Session): Promise<string> {
  const used = new Set(
    (await listMetas(s.layout))
      .map((m) => replicaIndex(s.config.identifier, m.name))
      .filter((n): n is number => n !== null),
  );
  let n = 1;
  while (used.has(n)) n++;
  return replicaName(s.config.identifier, n);
}

/**
 * Adds a streaming replica: a replication slot on the primary (so it keeps the WAL the replica
 * needs), an online copy of the primary's data directory (pg_backup_start/stop), standby.signal and
 * primary_conninfo with a 0600 password file; then waits until it accepts read-only connections.
 */
export async function addReplica(
  s: Session,
  name: string,
  opts: { rebuild?: boolean; createdBy?: NodeMeta["createdBy"] } = {},
): Promise<NodeMeta> {
  const primary = await requireRunningPrimary(s, "adding a replica");
  const bins = await s.binaries();
  const existing = (await listMetas(s.layout)).find((m) => m.name === name);
  // Only ever rebuild a replica left half-made: a restored instance holds data of its own.
  if (existing && existing.role !== "replica")
    throw systemError(
      "NOT_A_REPLICA",
      `${name} is a ${existing.role} instance, not a replica: leaving it alone.`,
    );
  if (existing?.state === "ready" && !opts.rebuild)
    throw userError("REPLICA_EXISTS", `${name} exists already.`);
  if (existing) {
    // Left by an interrupted run, perhaps with its server still running: stop it before deleting.
    await stopServersUnder(nodeDir(s.layout, name), s.user);
    await removeNodeDir(s, name);
  }
  const reserved = await reservedPorts(s, name);
  const index = replicaIndex(s.config.identifier, name) ?? 1;
  const port = await choosePort(primary.port + index, reserved, { what: `replica ${name}` });
  const meta: NodeMeta = {
    name,
    role: "replica",
    port,
    state: "creating",
    createdAt: new Date().toISOString(),
    pgVersion: bins.version,
    source: primary.name,
    slot: slotName(name),
    // A rebuilt replica keeps its maker: the autoscaler may still remove one it made.
    ...((opts.createdBy ?? existing?.createdBy) ? { createdBy: opts.createdBy ?? existing?.createdBy } : {}),
  };
  try {
    return await makeReplica(s, meta, primary, bins);
  } catch (e) {
    // Nothing half-made stays behind a failure (a full disk, the primary gone): the replica holds
    // no data of its own. What cannot be undone now (the slot, on a primary that is down) `up` drops.
    await stopServersUnder(nodeDir(s.layout, name), s.user).catch(() => {});
    await removeNodeDir(s, name).catch(() => {});
    await dropSlot(s, primary, meta.slot!).catch(() => {});
    throw e;
  }
}

async function makeReplica(
  s: Session,
  meta: NodeMeta,
  primary: NodeMeta,
  bins: PgBinaries,
): Promise<NodeMeta> {
  const name = meta.name;
  await ensureDir(nodeDir(s.layout, name), passMode(s.user));
  await writeMeta(s.layout, meta);
  faultPoint("replica-add:recorded");
  // A slot left lost by a replica of that name is made anew: a lost slot never streams again.
  await s.withAdmin(primary.port, "postgres", (c) => ensureSlot(c, meta.slot!));
  faultPoint("replica-add:slot-created");
  const pgdata = pgdataOf(s.layout, name);
  await onlineCopy(s, primary, pgdata, { label: `ebdb replica ${name}`, withWal: false });
  faultPoint("replica-add:copied");
  await writeNodeFiles(pgdata, settingsFor(s, meta, bins.major, primary.port), s.user, {
    cert: await projectCertificate(s.layout),
    password: { user: REPLICATION_USER, secret: (await s.internal()).replication },
  });
  meta = await startNode(s, bins, meta, { primaryPort: primary.port });
  faultPoint("replica-add:started");
  meta.state = "ready";
  await writeMeta(s.layout, meta);
  return meta;
}

/** Drops a replication slot on the running primary (ending the walsender still using it). */
export async function dropSlot(s: Session, primary: NodeMeta, slot: string): Promise<void> {
  if ((await inspect(pgdataOf(s.layout, primary.name))).state !== "running") return;
  const c = await s.admin(primary.port);
  try {
    for (let i = 0; i < 50; i++) {
      const r = await c.query<{ active_pid: number | null }>(
        "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1",
        [slot],
      );
      if (r.rows.length === 0) return;
      if (r.rows[0].active_pid === null) {
        await c.query("SELECT pg_drop_replication_slot($1)", [slot]);
        return;
      }
      await c.query("SELECT pg_terminate_backend($1)", [r.rows[0].active_pid]);
      await sleep(20);
    }
  } finally {
    await c.end().catch(() => {});
  }
}

/** Removes a replica: stops it, drops its slot on the primary, deletes its directory (it holds no data of its own). */
export async function removeReplica(s: Session, name: string): Promise<void> {
  const metas = await listMetas(s.layout);
  const meta = metas.find((m) => m.name === name && m.role === "replica");
  if (!meta) {
    const replicas = metas.filter((m) => m.role === "replica").map((m) => m.name);
    throw userError(
      "REPLICA_NOT_FOUND",
      `There is no replica ${name}.`,
      replicas.length ? `Replicas: ${replicas.join(", ")}.` : "There are no replicas.",
    );
  }
  await stopServer(pgdataOf(s.layout, name));
  // And any server still running from its directory without a postmaster.pid naming it.
  await stopServersUnder(nodeDir(s.layout, name), s.user);
  const primary = metas.find((m) => m.role === "primary");
  if (primary && meta.slot) await dropSlot(s, primary, meta.slot);
  await removeNodeDir(s, name);
}

/** Slots on the primary named like ours that no replica uses any more (left by an interrupted removal). */
export async function orphanSlots(s: Session, primary: NodeMeta): Promise<string[]> {
  if ((await inspect(pgdataOf(s.layout, primary.name))).state !== "running") return [];
  const prefix = slotName(`${s.config.identifier}-replica-`);
  const used = new Set((await listMetas(s.layout)).map((m) => m.slot).filter(Boolean));
  const c = await s.admin(primary.port);
  try {
    const r = await c.query<{ slot_name: string }>(
      "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical'",
    );
    return r.rows.map((x) => x.slot_name).filter((n) => n.startsWith(prefix) && !used.has(n));
  } finally {
    await c.end().catch(() => {});
  }
}

/** Drops the slots no replica uses (see orphanSlots) on the running primary; returns their names. */
export async function dropOrphanSlots(s: Session, primary: NodeMeta): Promise<string[]> {
  const slots = await orphanSlots(s, primary).catch(() => [] as string[]);
  for (const slot of slots) await dropSlot(s, primary, slot);
  return slots;
}
