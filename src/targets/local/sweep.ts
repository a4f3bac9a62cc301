import * as fs from "node:fs/promises";
import { join } from "node:path";
import type { Layout } from "./layout.js";
import { isAlive } from "./pid.js";

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
  const folders = [l.stateDir, ...(await subdirs(l.nodesDir)), ...(await subdirs(l.backupsDir))];
  await Promise.all(
    folders.map(async (d) => {
      for (const name of await fs.readdir(d).catch(() => [] as string[])) {
        const pid = Number(TMP_RE.exec(name)?.[1]);
        if (pid && pid !== process.pid && !isAlive(pid)) await fs.rm(join(d, name), { force: true });
      }
    }),
  );
}
