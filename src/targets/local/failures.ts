import * as fs from "node:fs/promises";
import { EbdbError, isEbdbError, systemError } from "../../errors.js";
import { pgdataOf } from "./layout.js";
import { listMetas } from "./meta.js";
import { inspect } from "./process.js";
import type { Session } from "./session.js";
import { refusalOf } from "./status-probe.js";

/**
 * Turns what a failed local operation threw into an error that says what failed and what to do
 * (exit 1), instead of an internal error: a full disk (ENOSPC, EDQUOT, PostgreSQL's disk_full
 * 53100), a server connection lost or refused in the middle (the primary killed, shutting down,
 * too many clients). Anything else is returned as it is: an unexpected error stays a bug report.
 */
export async function explainFailure(s: Session, what: string, e: unknown): Promise<unknown> {
  const kind = classify(e);
  if (!kind) return e;
  // A server that cannot write its next WAL segment stops (PANIC): the client sees only a lost
  // connection, but the cause is the disk, and that is what the user must fix.
  const free = await freeBytes(s.layout.dataRoot);
  const walFull = kind === "connection" && free !== null && free < WAL_SEGMENT_BYTES;
  if (kind === "disk-full" || walFull) {
    // The archive may be a disk of its own: name the one that is full.
    const where = detail(e).includes(s.layout.archiveDir) ? s.layout.archiveDir : s.layout.dataRoot;
    const disk = await freeSpace(where);
    const why = walFull ? `the server could not write its WAL: ${detail(e)}` : detail(e);
    return new EbdbError({
      code: "DISK_FULL",
      message: `${what} failed: the disk is full (${why}).`,
      hint: `Free some space on the disk holding ${where}${disk ? ` (${disk})` : ""}, then run \`ebdb ${what}\` again. What it had begun was removed (or \`ebdb up\` removes it).`,
      fault: "system",
      cause: e,
    });
  }
  const down = await nodesDown(s);
  const refusal = refusalOf(e);
  if (refusal === "too many clients") {
    return systemError(
      "TOO_MANY_CONNECTIONS",
      `${what} failed: a server refused ebdb's connection: too many clients (${detail(e)}).`,
      "Even the connections kept for ebdb's superuser are taken. `ebdb status` shows the counts; close idle connections (or pool them), then run it again.",
      e,
    );
  }
  const which = down.length ? down.map((d) => `${d.name} (${d.state} now)`).join(", ") : null;
  return systemError(
    "CONNECTION_LOST",
    `${what} failed: ${
      which ? `the connection to ${which} was lost` : "a connection to a server was lost"
    } (${detail(e)}).`,
    which
      ? `\`ebdb up\` starts it again (PostgreSQL recovers from its WAL: nothing committed is lost), then run \`ebdb ${what}\` again.`
      : `Run \`ebdb ${what}\` again; \`ebdb status\` and \`ebdb logs\` show what the server did.`,
    e,
  );
}

/** Runs `fn`, explaining its failure (see explainFailure). */
export async function explained<T>(s: Session, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw await explainFailure(s, what, e);
  }
}

type Kind = "disk-full" | "connection";

/** The kind of failure `e` (or an error it wraps) is, or null for none of ours. */
export function classify(e: unknown): Kind | null {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const err = x as { code?: string; message?: string; errno?: number };
    const msg = err.message ?? "";
    if (
      err.code === "ENOSPC" ||
      err.code === "EDQUOT" ||
      err.code === "53100" ||
      err.code === "DISK_FULL" ||
      /No space left on device|ENOSPC|disk quota exceeded/i.test(msg)
    )
      return "disk-full";
    if (
      err.code === "ECONNRESET" ||
      err.code === "ECONNREFUSED" ||
      err.code === "EPIPE" ||
      err.code === "PG_CONNECT_FAILED" ||
      err.code === "53300" ||
      err.code === "57P01" ||
      err.code === "57P02" ||
      err.code === "57P03" ||
      /^08/.test(err.code ?? "") ||
      /Connection terminated|connection error|Client was closed|server closed the connection|terminating connection|the database system is (starting up|shutting down|in recovery mode)|too many clients/i.test(
        msg,
      )
    )
      return "connection";
    // An explained error is not explained twice; other errors of ours keep their own words.
    if (isEbdbError(x) && x.code !== "RESTORE_FAILED") return null;
  }
  return null;
}

/** The innermost message, which says what the system said (e.g. "Connection terminated unexpectedly"). */
function detail(e: unknown): string {
  let x = e as { message?: string; cause?: unknown };
  while (x.cause && (x.cause as { message?: string }).message) x = x.cause as typeof x;
  return (x.message ?? String(e)).replace(/^The disk is full: /, "").replace(/\.$/, "");
}

/** The project's nodes that do not run now (what a lost connection most likely means), primary first. */
async function nodesDown(s: Session): Promise<{ name: string; state: string }[]> {
  const out: { name: string; state: string }[] = [];
  for (const m of await listMetas(s.layout).catch(() => [])) {
    if (m.state !== "ready") continue;
    const st = (await inspect(pgdataOf(s.layout, m.name))).state;
    if (st !== "running")
      out.push({ name: m.role === "primary" ? `the primary ${m.name}` : m.name, state: st });
  }
  return out;
}

/** The local servers' WAL segment size (conf.ts, wal_segment_size): what a server needs free to go on writing. */
const WAL_SEGMENT_BYTES = 16 * 1048576;

async function freeBytes(path: string): Promise<number | null> {
  try {
    const st = await fs.statfs(path);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}

async function freeSpace(path: string): Promise<string | null> {
  try {
    const st = await fs.statfs(path);
    return `${((st.bavail * st.bsize) / 1048576).toFixed(1)} MiB free of ${((st.blocks * st.bsize) / 1048576).toFixed(0)} MiB`;
  } catch {
    return null;
  }
}
