import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { isEbdbError, systemError } from "../../errors.js";
import type { PgBinaries } from "./binaries.js";
import { checkDataDirVersion } from "./binaries.js";
import { logFileOf, pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta, writeMeta } from "./meta.js";
import { projectCertificate, writeNodeFiles } from "./node-files.js";
import { REPLICATION_USER } from "./roles.js";
import { choosePort } from "./ports.js";
import { startServer } from "./process.js";
import type { Session } from "./session.js";
import { settingsFor } from "./settings.js";

/** Ports our nodes hold (running or not), except `except`'s. */
export async function reservedPorts(s: Session, except?: string): Promise<Set<number>> {
  return new Set((await listMetas(s.layout)).filter((m) => m.name !== except).map((m) => m.port));
}

/** Whether a node's port was chosen by ebdb (and may move) rather than fixed by DB_LOCAL_PORT. */
export function portIsChosen(s: Session, meta: NodeMeta): boolean {
  return !(meta.role === "primary" && s.config.local.port !== null);
}

/**
 * Starts a node and waits until it accepts connections. When its port was chosen by ebdb and
 * another program took it meanwhile (a race, or after a reboot), it moves to the next free port,
 * rewriting its configuration. Returns the node's record (with the port it listens on).
 */
export async function startNode(
  s: Session,
  bins: PgBinaries,
  meta: NodeMeta,
  opts: { primaryPort?: number; onMove?: (from: number, to: number) => void; onSpawn?: () => void } = {},
): Promise<NodeMeta> {
  const pgdata = pgdataOf(s.layout, meta.name);
  await checkDataDirVersion(pgdata, bins);
  await checkConfigFiles(pgdata);
  let m = meta;
  for (let attempt = 0; ; attempt++) {
    try {
      await startServer(bins, pgdata, logFileOf(s.layout, m.name), s.user, { onSpawn: opts.onSpawn });
      return m;
    } catch (e) {
      if (!(isEbdbError(e) && e.code === "PORT_IN_USE") || !portIsChosen(s, m) || attempt >= 5) throw e;
      const port = await choosePort(m.port + 1, await reservedPorts(s, m.name), { what: m.name });
      opts.onMove?.(m.port, port);
      m = { ...m, port };
      await writeMeta(s.layout, m);
      await rewriteConf(s, bins, m, opts.primaryPort);
    }
  }
}

/**
 * The files PostgreSQL reads at start must be plain files: a FIFO there (the server's user can put
 * one) would make the server wait for ever before it is ready. Said at once instead.
 */
async function checkConfigFiles(pgdata: string): Promise<void> {
  for (const name of ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "PG_VERSION"]) {
    const st = await lstat(join(pgdata, name)).catch(() => null);
    if (st && !st.isFile()) {
      throw systemError(
        "UNSAFE_PATH",
        `${join(pgdata, name)} is not a plain file (${st.isSymbolicLink() ? "a link" : st.isFIFO() ? "a FIFO" : "not a file"}): PostgreSQL would not start from it.`,
        "Something other than ebdb changed this data directory. Put the file back (or restore the instance from a backup) and run the command again.",
      );
    }
  }
}

/**
 * Rewrites a node's postgresql.conf and pg_hba.conf (and a replica's password file) from its record.
 * A restored instance still recovering keeps its recovery settings (it would otherwise refuse to
 * start: recovery.signal without restore_command).
 */
export async function rewriteConf(
  s: Session,
  bins: PgBinaries,
  meta: NodeMeta,
  primaryPort?: number,
): Promise<void> {
  const cert = await projectCertificate(s.layout);
  const settings = settingsFor(s, meta, bins.major, primaryPort);
  await writeNodeFiles(pgdataOf(s.layout, meta.name), settings, s.user, {
    cert,
    password:
      meta.role === "replica"
        ? { user: REPLICATION_USER, secret: (await s.internal()).replication }
        : undefined,
  });
}

/**
 * Asks the kernel to write the new files out, in the background: data directories copied from the
 * template were written without fsync, and PostgreSQL assumes its checkpointed files are durable.
 */
export function syncInBackground(): void {
  if (process.platform === "win32") return;
  try {
    const child = spawn("sync", [], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    // best effort
  }
}
