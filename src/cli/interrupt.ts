import { writeSync } from "node:fs";

const RESUME = "nothing is lost; run `ebdb up` to finish or remove what was half-made";

/**
 * What to do after Ctrl-C (SIGINT) or SIGTERM cuts a command short that changes the database, by
 * command path. The next `up` finishes a replica and removes a half-made snapshot or restore (the
 * README's Interruptions); a destroy is finished by the next `destroy`, and `up` refuses until then.
 */
export const INTERRUPTED: Readonly<Record<string, string>> = {
  up: RESUME,
  "replica add": RESUME,
  "replica remove": RESUME,
  "snapshot create": "nothing is lost; run `ebdb up` to remove the half-made snapshot, then take it again",
  restore: "nothing is lost; run `ebdb up` to remove the half-made instance, then restore again",
  destroy: "the database is partly removed; run `ebdb destroy` again to finish",
};

let asking = 0;

/** Runs `fn` (a question to the user) so that an interruption meanwhile says nothing was changed. */
export async function whileAsking<T>(fn: () => Promise<T>): Promise<T> {
  asking++;
  try {
    return await fn();
  } finally {
    asking--;
  }
}

/**
 * While the command at `path` runs (one of INTERRUPTED's), SIGINT and SIGTERM print one line on
 * stderr, `interrupted: <what to do>`, and then end the process by the same signal, as it ended
 * before (exit status 130 or 143 in a shell; nothing else is cleaned up, and nothing needs to be:
 * locks whose holder died are taken over, and the next command finishes or removes half-made work).
 * Returns the function that removes the handlers; a no-op for other commands.
 */
export function noteInterruptions(path: string): () => void {
  const what = INTERRUPTED[path];
  if (!what) return () => {};
  const remove = () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
  const handler = (signal: NodeJS.Signals) => {
    remove();
    try {
      writeSync(2, `interrupted: ${asking ? "nothing was changed" : what}\n`); // synchronous: the process ends right after
    } catch {
      // stderr closed: nothing to tell
    }
    process.kill(process.pid, signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return remove;
}
