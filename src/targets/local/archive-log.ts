import * as fs from "node:fs/promises";

/** What the server log says about the WAL archiver's failures. */
export interface ArchiveFailures {
  /** Failed attempts logged (one ERROR line each) after `since`. */
  count: number;
  /** When the first and the last of them were logged (ISO-8601). */
  first: string | null;
  last: string | null;
  /** The last failure's message, e.g. `could not write to file "...": No space left on device`. */
  lastError: string | null;
}

/** How much of the end of the log is read: enough for hours of failures, cheap for `status`. */
const TAIL_BYTES = 256 * 1024;

// log_line_prefix '%m [%p] %q%u@%d ' with log_timezone UTC (conf.ts): "2026-01-02 03:04:05.678 UTC [123] ".
const LINE =
  /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) UTC \[\d+\] (?:\S*@\S* )?(ERROR|FATAL|WARNING|LOG):\s+(.*)$/;

async function tailText(file: string): Promise<string> {
  let h: fs.FileHandle;
  try {
    h = await fs.open(file, "r");
  } catch {
    return "";
  }
  try {
    const size = (await h.stat()).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    await h.read(buf, 0, buf.length, start);
    const text = buf.toString("utf8");
    // The first line may be cut: skip it unless the read began at the start.
    return start === 0 ? text : text.slice(text.indexOf("\n") + 1);
  } finally {
    await h.close();
  }
}

/**
 * The archiver's failures in the end of a server log, logged after `since` (all when null). A failure
 * is an ERROR of the archive module naming the archive directory (basic_archive), or an
 * archive_command's "archive command failed" (its error the line ebdb's archive command wrote just
 * before, `could not archive <file> to <dir>: ...`); the periodic "failed too many times" WARNING is
 * not counted again. Reads only the last 256 KiB.
 */
export async function archiveFailures(
  logFile: string,
  archiveDir: string,
  since: Date | null,
): Promise<ArchiveFailures> {
  const out: ArchiveFailures = { count: 0, first: null, last: null, lastError: null };
  // The archive command's own stderr (no log prefix) comes just before PostgreSQL's line.
  let said: string | null = null;
  for (const line of (await tailText(logFile)).split("\n")) {
    const m = LINE.exec(line);
    if (!m) {
      if (line.startsWith("could not archive ")) said = line;
      continue;
    }
    const [, day, time, level, rest] = m;
    const commandFailed = /archive command failed/.test(rest);
    const message = commandFailed && said ? said : rest;
    if (commandFailed) said = null;
    const failure =
      ((level === "ERROR" || level === "FATAL") && message.includes(archiveDir)) || commandFailed;
    if (!failure) continue;
    const at = `${day}T${time}Z`;
    if (since && Date.parse(at) <= since.getTime()) continue;
    out.count++;
    out.first ??= at;
    out.last = at;
    out.lastError = message.trim();
  }
  return out;
}
