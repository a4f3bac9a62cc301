import * as fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { userError } from "../../errors.js";
import { logFileOf } from "./layout.js";
import { LogFilter } from "./log-filter.js";
import { listMetas } from "./meta.js";
import type { Session } from "./session.js";

/**
 * A node's server log: the last `lines` lines, then (with `follow`) what is appended, until `signal`
 * aborts; with `slow`, only the slow statements, with `since`, only what was logged from then on
 * (log-filter.ts). Yields chunks of text.
 */
export async function* localLogs(
  s: Session,
  opts: {
    node?: string;
    follow?: boolean;
    lines?: number;
    signal?: AbortSignal;
    slow?: boolean;
    since?: Date;
  },
): AsyncGenerator<string> {
  const filter = new LogFilter({ slow: opts.slow, since: opts.since });
  const metas = await listMetas(s.layout);
  const name = opts.node ?? s.config.identifier;
  if (!metas.some((m) => m.name === name)) {
    throw userError(
      "NODE_NOT_FOUND",
      metas.length
        ? `There is no node ${name}.`
        : `${s.config.identifier} has not been created on this machine yet.`,
      metas.length ? `Nodes: ${metas.map((m) => m.name).join(", ")}.` : "Run `ebdb up` to create it.",
    );
  }
  const file = logFileOf(s.layout, name);
  let offset = 0;
  try {
    const read = await fs.readFile(file, "utf8");
    offset = Buffer.byteLength(read);
    const text = filter.active ? filter.push(read) : read;
    const lines = text.split("\n");
    if (text.endsWith("\n")) lines.pop();
    const keep = opts.lines ?? 200;
    if (lines.length) yield `${lines.slice(-keep).join("\n")}\n`;
  } catch {
    // no log yet
  }
  while (opts.follow && !opts.signal?.aborted) {
    await sleep(200, undefined, { signal: opts.signal }).catch(() => {});
    if (opts.signal?.aborted) break;
    let size = 0;
    try {
      size = (await fs.stat(file)).size;
    } catch {
      continue;
    }
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const h = await fs.open(file, "r");
    try {
      const buf = Buffer.alloc(size - offset);
      await h.read(buf, 0, buf.length, offset);
      offset = size;
      const chunk = filter.active ? filter.push(buf.toString("utf8")) : buf.toString("utf8");
      if (chunk) yield chunk;
    } finally {
      await h.close();
    }
  }
}
