import * as fs from "node:fs/promises";
import { join } from "node:path";
import { faultPoint } from "./fault.js";
import { removeTree } from "./fs-safe.js";
import { exists } from "./fs-util.js";
import { type Layout, nodeDir } from "./layout.js";
import { stopServersUnder } from "./orphans.js";
import { isAlive } from "./pid.js";
import type { Session } from "./session.js";

/** writeFileMode's temporary names: `<file>.tmp-<pid>-<hex>`. */
const TMP_RE = /\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Removes the temporary files that writers killed mid-write left (their process is gone) in the
 * folders ebdb writes its own records to: the state folder, each node's folder, each backup's
 * folder. Runs under the project's lock, so no live writer of this project is among them.
 */
export async function sweepTemporaries(l: Layout): Promise<void> {
  const subdirs = async (d: string) =>
    (await fs.readdir(d).catch(() => [] as string[])).map((n) => join(d, n));
  const folders = [
    l.stateDir,
    ...(await subdirs(l.stateDir)),
    l.tlsDir,
    ...(await subdirs(l.nodesDir)),
    ...(await subdirs(l.backupsDir)),
  ];
  await Promise.all(
    folders.map(async (d) => {
      for (const name of await fs.readdir(d).catch(() => [] as string[])) {
        const pid = Number(TMP_RE.exec(name)?.[1]);
        if (pid && pid !== process.pid && !isAlive(pid)) await fs.rm(join(d, name), { force: true });
      }
    }),
  );
}

/**
 * Removes a node's folder with its record (node.json) last: a removal cut short leaves a node that
 * `status` still shows and the next command can remove, never a nameless folder of data.
 */
export async function removeNodeDir(s: Session, name: string): Promise<void> {
  const dir = nodeDir(s.layout, name);
  for (const entry of await fs.readdir(dir).catch(() => [] as string[]))
    if (entry !== "node.json") await removeTree(join(dir, entry), s.user);
  faultPoint("node-remove:data-removed");
  await removeTree(dir, s.user);
}

/**
 * Folders in nodes/ without a record: what a node creation or removal cut short left (a record is
 * written right after its folder is made, and removed last). Their servers are stopped first.
 */
export async function sweepNodeDirs(s: Session): Promise<void> {
  for (const name of await fs.readdir(s.layout.nodesDir).catch(() => [] as string[])) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(name)) continue;
    if (await exists(join(s.layout.nodesDir, name, "node.json"))) continue;
    await stopServersUnder(join(s.layout.nodesDir, name), s.user);
    await removeTree(join(s.layout.nodesDir, name), s.user);
  }
}
