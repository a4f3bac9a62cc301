import * as fs from "node:fs/promises";
import { join } from "node:path";
import type { RecoveryTarget } from "./conf.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import { type Layout, nodeDir } from "./layout.js";

/** What ebdb records about one local server (nodes/<name>/node.json). */
export interface NodeMeta {
  name: string;
  role: "primary" | "replica" | "restored";
  port: number;
  /** creating until the node has been fully made once: a node left in creating was interrupted. */
  state: "creating" | "ready";
  createdAt: string;
  pgVersion: string;
  /** Replicas: the primary's name and the replication slot that keeps WAL for it. */
  source?: string;
  slot?: string;
  /** Replicas `ebdb autoscale run` made: only those may it remove (absent: made by `up` or `replica add`). */
  createdBy?: "autoscaler";
  /** Primary: the backup retention in effect (0: WAL archiving off). */
  retentionDays?: number;
  /** Primary: when its first setup finished (the earliest point a restore can reach). */
  setup?: { lsn: string; at: string };
  /** Restored instances: what they were restored from, and to which time. */
  restoredFrom?: string;
  restoredTo?: string | null;
  /** Restored instances while they recover: where recovery stops (kept so a rewrite keeps it). */
  recovery?: RecoveryTarget;
}

export function metaFile(l: Layout, name: string): string {
  return join(nodeDir(l, name), "node.json");
}

/** A node's record; null when there is none (or it is not one ebdb wrote for that name). */
export async function readMeta(l: Layout, name: string): Promise<NodeMeta | null> {
  try {
    const m = JSON.parse((await readFileSafe(metaFile(l, name))) ?? "null") as NodeMeta | null;
    return m && m.name === name ? m : null;
  } catch {
    return null;
  }
}

/** Writes a node's record (root's own file as root: servers cannot change what ebdb acts on). */
export async function writeMeta(l: Layout, meta: NodeMeta): Promise<void> {
  await writeFileMode(metaFile(l, meta.name), `${JSON.stringify(meta, null, 2)}\n`, 0o600);
}

/** Every node with a node.json, primary first, then replicas by number, then restored instances by name. */
export async function listMetas(l: Layout): Promise<NodeMeta[]> {
  let names: string[];
  try {
    names = await fs.readdir(l.nodesDir);
  } catch {
    return [];
  }
  const metas = (await Promise.all(names.filter(isNodeName).map((n) => readMeta(l, n)))).filter(
    (m): m is NodeMeta => m !== null,
  );
  const rank = { primary: 0, replica: 1, restored: 2 } as const;
  const num = (n: string) => Number(/-(\d+)$/.exec(n)?.[1] ?? 0);
  return metas.sort(
    (a, b) => rank[a.role] - rank[b.role] || num(a.name) - num(b.name) || a.name.localeCompare(b.name),
  );
}

const isNodeName = (n: string) => /^[A-Za-z][A-Za-z0-9-]*$/.test(n);

/** A replication slot name for a node (slots allow only [a-z0-9_], 63 characters). */
export function slotName(node: string): string {
  return node
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(-63);
}
