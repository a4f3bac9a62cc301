import { join } from "node:path";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Layout } from "./layout.js";
import { withLock } from "./lock.js";
import { listMetas } from "./meta.js";
import { choosePort } from "./ports.js";
import type { Session } from "./session.js";
import { requirePrimary } from "./settings.js";

/**
 * The local reader endpoint's address: 127.0.0.1 and a port chosen once per database and kept in
 * `.ebdb/<identifier>/reader.json`, so an application given DB_READER_HOST/DB_READER_PORT never has
 * to be given another while replicas come and go. `ebdb autoscale run` serves it (a TCP balancer).
 */

export const READER_HOST = "127.0.0.1";
/** The reader port is looked for from the primary's port plus this (replicas and restores sit just above it). */
const READER_PORT_OFFSET = 100;

function readerFile(l: Layout): string {
  return join(l.stateDir, "reader.json");
}

/** The recorded reader port, or null before one was chosen. */
export async function readReaderPort(l: Layout): Promise<number | null> {
  try {
    const v = JSON.parse((await readFileSafe(readerFile(l))) ?? "null") as { port?: unknown } | null;
    const port = Number(v?.port);
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/**
 * The reader port, chosen and recorded on first use (under the project's lock, so two commands agree):
 * the first free port from the primary's port + 100 that no node of the database holds. Needs the
 * database to exist (NOT_CREATED otherwise, from requirePrimary).
 */
export async function ensureReaderPort(s: Session): Promise<number> {
  const known = await readReaderPort(s.layout);
  if (known !== null) return known;
  return withLock(
    s.layout.lockFile,
    s.config.identifier,
    "reader endpoint",
    async () => {
      const again = await readReaderPort(s.layout);
      if (again !== null) return again;
      const primary = await requirePrimary(s);
      const reserved = new Set((await listMetas(s.layout)).map((m) => m.port));
      const port = await choosePort(primary.port + READER_PORT_OFFSET, reserved, {
        what: "the reader endpoint",
      });
      await writeFileMode(readerFile(s.layout), `${JSON.stringify({ port })}\n`, 0o600);
      return port;
    },
    { io: s.ctx.io },
  );
}
