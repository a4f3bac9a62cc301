import * as fs from "node:fs/promises";
import { join } from "node:path";
import { removeTree, writeFileMode } from "./fs-safe.js";
import { exists } from "./fs-util.js";
import type { Layout } from "./layout.js";
import type { Session } from "./session.js";

const MARK = "destroying";

/** The mark `destroy` leaves first: while it is there, only `destroy` may run (to finish). */
export function destroyMark(l: Layout): string {
  return join(l.stateDir, MARK);
}

export async function markDestroying(s: Session): Promise<void> {
  if (await exists(s.layout.stateDir))
    await writeFileMode(destroyMark(s.layout), `${new Date().toISOString()}\n`, 0o600);
}

/** The data folders when they live in the state folder (removed before the credentials and the mark). */
export function dataDirs(l: Layout): string[] {
  return [l.nodesDir, l.backupsDir, l.archiveDir, l.tlsDir];
}

/** Removes the state folder, the mark last, so an interruption anywhere leaves it for the next destroy. */
export async function removeState(s: Session): Promise<void> {
  const names = await fs.readdir(s.layout.stateDir).catch(() => [] as string[]);
  for (const n of names.filter((x) => x !== MARK)) await removeTree(join(s.layout.stateDir, n), s.user);
  await removeTree(s.layout.stateDir, s.user);
}
