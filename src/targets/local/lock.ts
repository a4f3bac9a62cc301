import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import { basename, dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { systemError } from "../../errors.js";
import type { IoHost } from "../../io.js";
import { isAlive as alive, processStart } from "./pid.js";

/** Who holds a project's lock: what the lock file says. */
export interface LockHolder {
  pid: number;
  /** The process's start time (Linux: clock ticks after boot, /proc/<pid>/stat field 22), to tell a reused pid. */
  start: string;
  /** The command, e.g. "up". */
  what: string;
}

/** What the backup agent's lock says it does (backup-agent-loop.ts), and how long a command waits for it. */
export const AGENT_WHAT = "backup agent";
const AGENT_WAIT_MS = 30 * 60_000;

/** Locks this async call chain holds already (a command that calls another part of itself does not wait for itself). */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** Whether the holder is still the process that took the lock (alive, and not a new process that got its pid). */
export function holderAlive(h: LockHolder): boolean {
  if (!alive(h.pid)) return false;
  const now = processStart(h.pid);
  return h.start === "" || now === "" || now === h.start;
}

function parse(text: string): LockHolder | null {
  const [pid, start, what] = text.split("\n");
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, start: start ?? "", what: what || "?" } : null;
}

const render = (h: LockHolder) => `${h.pid}\n${h.start}\n${h.what}\n`;

/** The live process holding the lock file, or null. */
export async function liveHolder(file: string): Promise<LockHolder | null> {
  const h = (await readHolder(file))?.holder;
  return h && holderAlive(h) ? h : null;
}

async function readHolder(file: string): Promise<{ text: string; holder: LockHolder | null } | null> {
  try {
    const text = await fs.readFile(file, "utf8");
    return { text, holder: parse(text) };
  } catch {
    return null;
  }
}

/**
 * Runs `fn` holding the lock file `file` (one writer per project: `.ebdb/<identifier>.lock`). The lock
 * is made whole and at once (a complete file hard-linked into place), so nobody reads a half-written
 * one. A second command waits up to `waitMs`, then fails naming the holder. A lock whose holder is
 * dead, or whose pid now belongs to another process, is taken over, and `io` is told.
 *
 * Errors: BUSY (exit 1) when the holder is alive after `waitMs`.
 */
export async function withLock<T>(
  file: string,
  identifier: string,
  what: string,
  fn: () => Promise<T>,
  opts: { io?: IoHost; waitMs?: number; create?: boolean } = {},
): Promise<T> {
  if (held.getStore()?.has(file)) return fn();
  if (opts.create) await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Nothing was ever made here (an `up` makes the folder before anything else): nothing to guard.
  else if (!existsSync(dirname(file))) return fn();
  const me: LockHolder = { pid: process.pid, start: processStart(process.pid), what };
  const candidate = `${file}.${process.pid}-${randomBytes(4).toString("hex")}`;
  await fs.writeFile(candidate, render(me), { mode: 0o600, flag: "wx" });
  let deadline = Date.now() + (opts.waitMs ?? 5_000);
  let waitedForAgent = false;
  try {
    for (;;) {
      try {
        await fs.link(candidate, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const found = await readHolder(file);
      if (!found) continue; // released meanwhile
      const h = found.holder;
      if (h && holderAlive(h)) {
        // The backup agent's daily base backup may take minutes on a large database: a command
        // waits for it (saying so once) rather than failing.
        if (h.what === AGENT_WHAT && !waitedForAgent) {
          waitedForAgent = true;
          deadline = Math.max(deadline, Date.now() + AGENT_WAIT_MS);
          opts.io?.event({
            type: "info",
            message: `Waiting for the backup agent of ${identifier} to finish (pid ${h.pid}).`,
          });
        }
        if (Date.now() > deadline) {
          throw systemError(
            "BUSY",
            `Another ebdb (pid ${h.pid}, ${h.what}) is working on ${identifier}.`,
            "Wait for it to finish and run the command again.",
            undefined,
          );
        }
        await sleep(100);
        continue;
      }
      // Dead, reused or unreadable: set it aside by a rename (atomic: one taker wins), and make
      // sure what was set aside is what was judged stale (else put it back).
      const aside = `${file}.stale-${randomBytes(4).toString("hex")}`;
      try {
        await fs.rename(file, aside);
      } catch {
        continue;
      }
      const moved = await readHolder(aside);
      if (moved?.text !== found.text) {
        await fs.link(aside, file).catch(() => {});
        await fs.rm(aside, { force: true });
        continue;
      }
      await fs.rm(aside, { force: true });
      opts.io?.event({
        type: "warning",
        message: h
          ? `Took over the lock on ${identifier} from ebdb pid ${h.pid} (${h.what}), which is no longer running.`
          : `Took over an unreadable lock on ${identifier}.`,
      });
    }
  } finally {
    await fs.rm(candidate, { force: true });
  }
  await removeDeadCandidates(file);
  try {
    return await held.run(new Set([...(held.getStore() ?? []), file]), fn);
  } finally {
    // Only our own lock: never one another process took over after ours was judged stale.
    const now = await readHolder(file);
    if (now?.text === render(me)) await fs.rm(file, { force: true });
  }
}

/** Candidate files of processes killed while they waited for the lock (they cannot clean up after themselves). */
async function removeDeadCandidates(file: string): Promise<void> {
  const prefix = `${basename(file)}.`;
  for (const name of await fs.readdir(dirname(file)).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (m && !alive(Number(m[1]))) await fs.rm(`${dirname(file)}/${name}`, { force: true });
  }
}
