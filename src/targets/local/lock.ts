import * as fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { userError } from "../../errors.js";
import type { Layout } from "./layout.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `fn` holding the project's lock (.ebdb/<identifier>/lock), so two commands never change the
 * same database at once. A lock left by a process that no longer exists is taken over.
 */
export async function withLock<T>(l: Layout, what: string, fn: () => Promise<T>, waitMs = 5_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const h = await fs.open(l.lockFile, "wx", 0o600);
      await h.writeFile(`${process.pid}\n${what}\n`);
      await h.close();
      break;
    } catch (e) {
      // No state folder: nothing was ever created here, so there is nothing to protect.
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return fn();
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pidText, holder] = (await fs.readFile(l.lockFile, "utf8").catch(() => "")).split("\n");
      const pid = Number(pidText);
      if (!pid || !alive(pid) || pid === process.pid) {
        if (pid === process.pid) return fn();
        await fs.rm(l.lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw userError(
          "BUSY",
          `Another ebdb command (pid ${pid}: ${holder || "?"}) is changing ${l.identifier}.`,
          "Wait for it to finish, then try again.",
        );
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(l.lockFile, { force: true });
  }
}
