import { join } from "node:path";
import { userError } from "../../errors.js";
import { walCompressor } from "./compressor.js";
import { type ServerSettings, slotWalKeepMB } from "./conf.js";
import { pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta } from "./meta.js";
import { passfileOf } from "./node-files.js";
import { inspect } from "./process.js";
import { REPLICATION_USER } from "./roles.js";
import type { Session } from "./session.js";

/** The server settings of a node as ebdb runs it (postgresql.conf is rendered from these). */
export function settingsFor(s: Session, meta: NodeMeta, major: number, primaryPort?: number): ServerSettings {
  const base: ServerSettings = {
    name: meta.name,
    port: meta.port,
    role: meta.role,
    archiveDir: null,
    major,
    maxSlotWalKeepMB: slotWalKeepMB(s.config.storage.allocatedGiB),
    compressor: walCompressor(s.ctx.env),
  };
  if (meta.role === "primary" && (meta.retentionDays ?? 0) > 0) base.archiveDir = s.layout.archiveDir;
  if (meta.role === "restored" && meta.state === "creating" && meta.recovery)
    base.recovery = { archiveDir: s.layout.archiveDir, target: meta.recovery };
  if (meta.role === "replica") {
    base.standby = {
      primaryPort: primaryPort ?? 0,
      user: REPLICATION_USER,
      passfile: passfileOf(s.layout, meta.name),
      slot: meta.slot!,
      rootcert: join(pgdataOf(s.layout, meta.name), "ca.crt"),
      // With backups on, the primary archives every segment before removing it: a replica whose
      // slot was lost catches up from there.
      archiveDir: s.config.backup.retentionDays > 0 ? s.layout.archiveDir : undefined,
    };
  }
  return base;
}

/** The primary's record; a clear error when the database was never created. */
export async function requirePrimary(s: Session): Promise<NodeMeta> {
  const metas = await listMetas(s.layout);
  const p = metas.find((m) => m.role === "primary");
  if (!p) {
    throw userError(
      "NOT_CREATED",
      `${s.config.identifier} has not been created on this machine yet.`,
      "Run `ebdb up` to create it.",
    );
  }
  return p;
}

/** The primary, which must be running (backups, replicas and restores read from it). */
export async function requireRunningPrimary(s: Session, forWhat: string): Promise<NodeMeta> {
  const p = await requirePrimary(s);
  const st = await inspect(pgdataOf(s.layout, p.name));
  if (st.state !== "running") {
    throw userError(
      "PRIMARY_NOT_RUNNING",
      `The primary ${p.name} is ${st.state}; ${forWhat} needs it running.`,
      "Run `ebdb up` to start it, then try again.",
    );
  }
  return p;
}
