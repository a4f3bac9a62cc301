import { join } from "node:path";
import type { Change } from "../../model/change.js";
import { localPgbouncerIni, userlistLine } from "../../pooling/pgbouncer-ini.js";
import { sizingFor } from "../../pooling/sizing-for.js";
import { MAX_CONNECTIONS } from "./conf.js";
import { ensureDir, readFileSafe, removeTree, writeFileMode } from "./fs-safe.js";
import { exists } from "./fs-util.js";
import { passMode } from "./layout.js";
import { listMetas } from "./meta.js";
import { projectCertificate } from "./node-files.js";
import { findPgbouncer, type PgbouncerBinary } from "./pgbouncer-binary.js";
import {
  inspectPooler,
  type PoolerProcess,
  poolerDir,
  poolerIni,
  readPoolerRecord,
  reloadPooler,
  startPooler,
  stopPooler,
  stopStrayPoolers,
  strayPoolers,
  writePoolerRecord,
} from "./pgbouncer-process.js";
import { choosePort } from "./ports.js";
import { ADMIN_USER } from "./roles.js";
import type { Session } from "./session.js";
import { isEbdbError } from "../../errors.js";

/** The port the local PgBouncer tries first (PgBouncer's usual one); the next free one when taken. */
export const POOLER_FIRST_PORT = 6432;

/**
 * The local stand-in for RDS Proxy: PgBouncer in front of the primary, started by `up` when
 * DB_RDS_PROXY_ENABLED is on and PgBouncer is installed, stopped by `down` and `destroy`. It runs as
 * the project's server user, from files root writes (fs-safe.ts), reaching the primary with TLS
 * verified against the project's CA and requiring TLS from clients (the project's certificate), so
 * DATABASE_POOL_URL verifies it as DATABASE_URL verifies the primary. Clients authenticate with SCRAM
 * against the verifiers the primary holds (pg_authid), copied into userlist.txt: no password is
 * written anywhere for it, and PgBouncer logs in to the primary with the client's own proof.
 */

/** Server connections the local PgBouncer holds at most (pooling/sizing.ts, from the local max_connections). */
export function poolerPoolSize(s: Session): number {
  const sizing = sizingFor(s.desired, { count: 1, from: "one application locally" }, MAX_CONNECTIONS);
  return sizing?.pooler?.serverConnections ?? 1;
}

function name(s: Session): string {
  return s.config.names.proxy;
}

/** The userlist: the master user's and ebdb's own SCRAM verifiers, as the primary holds them; null when it cannot be read. */
async function userlist(s: Session, primaryPort: number): Promise<string | null> {
  try {
    return await s.withAdmin(primaryPort, "postgres", async (c) => {
      const r = await c.query<{ rolname: string; rolpassword: string | null }>(
        "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname",
        [[s.config.masterUsername, ADMIN_USER]],
      );
      return r.rows
        .filter((x) => x.rolpassword?.startsWith("SCRAM-SHA-256$"))
        .map((x) => userlistLine(x.rolname, x.rolpassword!))
        .join("");
    });
  } catch {
    return null;
  }
}

interface FileSet {
  [file: string]: { content: string; mode: number };
}

/** Every file the pooler reads, as ebdb would write it now (the userlist only when the primary answers). */
async function wantedFiles(s: Session, port: number): Promise<FileSet> {
  const primary = (await listMetas(s.layout)).find((m) => m.role === "primary");
  const cert = await projectCertificate(s.layout);
  const files: FileSet = {
    "server.crt": { content: cert.cert, mode: 0o600 },
    "server.key": { content: cert.key, mode: 0o600 },
    "ca.crt": { content: cert.ca, mode: 0o644 },
  };
  if (primary) {
    files["pgbouncer.ini"] = {
      content: localPgbouncerIni({
        identifier: s.config.identifier,
        listenPort: port,
        poolSize: poolerPoolSize(s),
        primaryPort: primary.port,
        dbName: s.config.dbName,
        admin: ADMIN_USER,
        stats: s.config.masterUsername,
      }),
      mode: 0o600,
    };
    const users = await userlist(s, primary.port);
    if (users !== null) files["userlist.txt"] = { content: users, mode: 0o600 };
  }
  return files;
}

/** The files that differ from what is on disk. */
async function staleFiles(s: Session, files: FileSet): Promise<string[]> {
  const dir = poolerDir(s.layout);
  const out: string[] = [];
  for (const [f, w] of Object.entries(files)) {
    const have = await readFileSafe(join(dir, f)).catch(() => null);
    if (have !== w.content) out.push(f);
  }
  return out;
}

/** What `up` must do about the pooler, as changes (drift) and refusals (PgBouncer missing). */
export async function poolerDrift(s: Session): Promise<{ drift: Change[]; refused: Change[] }> {
  const dir = poolerDir(s.layout);
  const made = await exists(dir);
  const base = { resource: name(s), kind: "proxy" as const, impact: "none" as const };
  if (!s.config.rdsProxy) {
    if (!made) return { drift: [], refused: [] };
    return {
      drift: [
        {
          ...base,
          action: "delete",
          reason: `Stops PgBouncer and removes its files (DB_RDS_PROXY_ENABLED is off): DB_POOL_HOST, DB_POOL_PORT and DATABASE_POOL_URL go away`,
        },
      ],
      refused: [],
    };
  }
  const bin = await findPgbouncer(s.ctx.env);
  if (!bin?.supported) {
    return {
      drift: [],
      refused: [
        {
          ...base,
          action: made ? "update" : "create",
          reason: bin
            ? `PgBouncer ${bin.version} (${bin.path}) is older than 1.14, which the local pooler needs (SCRAM verifiers in its auth_file): upgrade it, then run \`ebdb up\``
            : "PgBouncer is not installed, so the local pooler (DB_RDS_PROXY_ENABLED) does not run and env/exec give no DATABASE_POOL_URL: install it (apt-get install pgbouncer), or set EBDB_PGBOUNCER to its path, then run `ebdb up`",
        },
      ],
    };
  }
  const what = `PgBouncer ${bin.version} in front of the primary (transaction pooling, at most ${poolerPoolSize(s)} server connections, TLS verified both ways): DB_POOL_HOST, DB_POOL_PORT, DATABASE_POOL_URL`;
  if (!made) return { drift: [{ ...base, action: "create", reason: `Starts ${what}` }], refused: [] };
  const proc = await inspectPooler(s.layout);
  const strays = await strayPoolers(s.layout);
  if (proc.state !== "running" || strays.length > 0) {
    const why =
      strays.length > 0
        ? `a PgBouncer on its files that ebdb did not record runs (pid ${strays.join(", ")}, left by an interrupted start): it is stopped first`
        : proc.state === "crashed"
          ? "it stopped without shutting down (its recorded process is gone)"
          : "it was stopped";
    return {
      drift: [
        {
          ...base,
          action: "update",
          field: "state",
          from: proc.state,
          to: "running",
          reason: `Starts ${what}: ${why}`,
        },
      ],
      refused: [],
    };
  }
  const stale = await staleFiles(s, await wantedFiles(s, proc.port ?? POOLER_FIRST_PORT));
  if (stale.length === 0) return { drift: [], refused: [] };
  return {
    drift: [
      {
        ...base,
        action: "update",
        field: "conf",
        from: null,
        to: stale,
        reason: `Rewrites PgBouncer's ${stale.join(", ")} (the primary's port, the pool size, a new password or certificate) and reloads it (no restart)`,
      },
    ],
    refused: [],
  };
}

async function writeFiles(s: Session, files: FileSet): Promise<string[]> {
  const stale = await staleFiles(s, files);
  const dir = poolerDir(s.layout);
  for (const f of stale) await writeFileMode(join(dir, f), files[f].content, files[f].mode, s.user);
  return stale;
}

/** A free port for the pooler, not one of the nodes' (running or not). */
async function freePort(s: Session, from: number): Promise<number> {
  const nodes = new Set((await listMetas(s.layout)).map((m) => m.port));
  return choosePort(from, nodes, { what: "PgBouncer" });
}

/**
 * Makes the pooler what the configuration asks: stopped and removed (a delete), or running with
 * current files (written, then a reload when it runs, else a start on its recorded port, moving on
 * when another program took it). Idempotent; stray PgBouncers on its files are stopped first.
 * Returns what was done.
 */
export async function applyPooler(s: Session, c: Change): Promise<string> {
  const dir = poolerDir(s.layout);
  if (c.action === "delete") {
    await stopPooler(s.layout);
    await removeTree(dir, s.user);
    return "Stopped PgBouncer and removed its files";
  }
  const bin = (await findPgbouncer(s.ctx.env)) as PgbouncerBinary;
  await ensureDir(dir, passMode(s.user));
  const record = await readPoolerRecord(s.layout);
  let port = record?.port ?? (await freePort(s, POOLER_FIRST_PORT));
  if (!record) await writePoolerRecord(s.layout, { port });
  await stopStrayPoolers(s.layout);
  const proc: PoolerProcess = await inspectPooler(s.layout);
  const written = await writeFiles(s, await wantedFiles(s, port));
  if (proc.state === "running") {
    if (written.length > 0) await reloadPooler(s.layout);
    return `PgBouncer on 127.0.0.1:${port}: rewrote ${written.join(", ") || "nothing"}${written.length ? " and reloaded it" : ""}`;
  }
  const moved = port;
  for (let attempt = 0; ; attempt++) {
    try {
      await startPooler(s.layout, bin.path, s.user, port);
      break;
    } catch (e) {
      if (!(isEbdbError(e) && e.code === "PORT_IN_USE") || attempt >= 5) throw e;
      port = await freePort(s, port + 1);
      await writePoolerRecord(s.layout, { port });
      await writeFiles(s, await wantedFiles(s, port));
    }
  }
  const note = port !== moved ? ` (port ${moved} was taken)` : "";
  return `Started PgBouncer ${bin.version} on 127.0.0.1:${port}${note}, in front of the primary (at most ${poolerPoolSize(s)} server connections)`;
}

/**
 * After the other changes of an `up`: rewrites the running pooler's files that those changes made
 * stale (a new password's verifier, the primary's new port or certificate) and reloads it, so no
 * second `up` is needed. Returns what it did, or null when there was nothing to do.
 */
export async function refreshPooler(s: Session): Promise<string | null> {
  if (!s.config.rdsProxy) return null;
  const proc = await inspectPooler(s.layout);
  if (proc.state !== "running" || proc.port === null) return null;
  const written = await writeFiles(s, await wantedFiles(s, proc.port));
  if (written.length === 0) return null;
  await reloadPooler(s.layout);
  return `PgBouncer: rewrote ${written.join(", ")} and reloaded it`;
}

/** Stops the pooler (down, destroy); whether one ran. */
export async function stopLocalPooler(s: Session): Promise<boolean> {
  if (!(await exists(poolerDir(s.layout)))) return false;
  return stopPooler(s.layout);
}

/** The pooler's address for env and exec: when the configuration asks for it and it was made. */
export async function poolerAddress(s: Session): Promise<{ host: string; port: number } | null> {
  if (!s.config.rdsProxy) return null;
  const record = await readPoolerRecord(s.layout);
  return record ? { host: "127.0.0.1", port: record.port } : null;
}

export { poolerIni };
