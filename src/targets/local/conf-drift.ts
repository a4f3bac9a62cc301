import { join } from "node:path";
import type { Change } from "../../model/change.js";
import { parseConf, postgresqlConf } from "./conf.js";
import { readFileSafe } from "./fs-safe.js";
import { pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta } from "./meta.js";
import { rewriteConf } from "./nodes.js";
import { inspect, signalServer } from "./process.js";
import type { Session } from "./session.js";
import { settingsFor } from "./settings.js";
import type { NodeView } from "./status.js";

/**
 * Settings ebdb writes in postgresql.conf that a reload applies (context sighup in pg_settings), so a
 * node made by an earlier ebdb, or before DB_ALLOCATED_STORAGE or backups changed, gets them from
 * `up` without a restart.
 */
const RELOADABLE = new Set([
  "max_slot_wal_keep_size",
  "restore_command",
  "wal_keep_size",
  "wal_retrieve_retry_interval",
  "archive_timeout",
  // WAL compression (issue 13): the archiver picks the new way up at a reload.
  "archive_command",
  "archive_library",
  "basic_archive.archive_directory",
  // Issue 13: restores and new replicas sync their copy with one syncfs().
  "recovery_init_sync_method",
]);

function major(meta: NodeMeta): number {
  return Number(meta.pgVersion.split(".")[0]);
}

/**
 * For each complete node whose postgresql.conf differs from what ebdb would write only in settings
 * a reload applies: a change that rewrites it and reloads (impact none). Nodes that differ in
 * anything else are left alone (those are not this check's to change).
 */
export async function confDrift(s: Session, views: NodeView[], primary: NodeView): Promise<Change[]> {
  const changes: Change[] = [];
  for (const v of views) {
    if (!v.complete || v.meta.state !== "ready") continue;
    // A restored instance is made and rewritten by restore; its settings follow the same rule.
    const want = parseConf(postgresqlConf(settingsFor(s, v.meta, major(v.meta), primary.meta.port)));
    const text = await readFileSafe(join(pgdataOf(s.layout, v.meta.name), "postgresql.conf")).catch(
      () => null,
    );
    if (text === null) continue;
    const have = parseConf(text);
    const keys = [...new Set([...want.keys(), ...have.keys()])].filter((k) => want.get(k) !== have.get(k));
    if (keys.length === 0 || keys.some((k) => !RELOADABLE.has(k))) continue;
    const show = (m: Map<string, string>) => Object.fromEntries(keys.map((k) => [k, m.get(k) ?? null]));
    changes.push({
      resource: v.meta.name,
      kind: v.meta.role === "replica" ? "replica" : "instance",
      action: "update",
      field: "conf",
      from: show(have),
      to: show(want),
      impact: "none",
      reason: `Sets ${keys.map((k) => shown(k, want.get(k))).join(", ")} on ${v.meta.name} (reloaded, no restart)`,
    });
  }
  return changes;
}

const COMMANDS: Record<string, string> = {
  archive_command: "copies each finished WAL segment, compressed, into the archive",
  restore_command: "reads a WAL segment back from the archive, whatever its compression",
};

/** A setting as the plan says it: shell commands (archive_command, restore_command) by what they are, not their text. */
function shown(key: string, value: string | undefined): string {
  if (value === undefined) return `${key} (removed)`;
  if (value.length <= 80) return `${key} = ${value}`;
  const what = COMMANDS[key] ?? `ebdb's ${value.length}-character value`;
  return `${key} (${what}; postgresql.conf holds it)`;
}

/** Rewrites a node's configuration from its record and reloads it when it runs (a "conf" change). */
export async function reloadConf(s: Session, name: string): Promise<void> {
  const metas = await listMetas(s.layout);
  const meta = metas.find((m) => m.name === name);
  if (!meta) return;
  await rewriteConf(s, await s.binaries(), meta, metas.find((m) => m.role === "primary")?.port);
  const pgdata = pgdataOf(s.layout, name);
  if ((await inspect(pgdata)).state === "running") await signalServer(pgdata, "SIGHUP");
}
