import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { requireConfig } from "../config/load.js";
import { userError } from "../errors.js";
import { deriveDesired } from "../model/desired.js";
import { APP_DIR, pgbouncerAppFiles } from "../pooling/pgbouncer-files.js";
import { PGBOUNCER_MIN_VERSION, PGBOUNCER_TESTED_VERSION } from "../pooling/pgbouncer-ini.js";
import type { PoolSizing } from "../pooling/sizing.js";
import { instancesFor, sizingFor } from "../pooling/sizing-for.js";
import { MAX_CONNECTIONS } from "../targets/local/conf.js";
import { type CommandContext, targetOf } from "./context.js";

/** PgBouncer's usual port, where the application's PgBouncer listens unless --port says otherwise. */
export const APP_PGBOUNCER_PORT = 6432;

export interface PgbouncerFilesResult {
  /** The directory written into (the application's source bundle root). */
  dir: string;
  /** PgBouncer's folder in it (pgbouncer.ini, start.sh, Dockerfile.pgbouncer). */
  pgbouncerDir: string;
  port: number;
  /** default_pool_size written into pgbouncer.ini: DB_POOL_SIZE, else the computed per-instance pool. */
  poolSize: number;
  /** The arithmetic behind it; null when the instance class's max_connections is unknown and DB_POOL_SIZE is set. */
  sizing: PoolSizing | null;
  minVersion: string;
  testedVersion: string;
  files: { path: string; bytes: number; mode: string; changed: boolean }[];
  /** What the user should know (a pooler in front of the primary already). */
  notes: string[];
}

/**
 * `ebdb pooler pgbouncer [--out DIR] [--port N] [--max-instances N]`: writes into the application's
 * folder (DIR, default the current directory) what runs PgBouncer beside each application instance
 * (pooling/pgbouncer-files.ts): pgbouncer.ini (transaction mode, max_client_conn 1000,
 * default_pool_size = DB_POOL_SIZE or max_connections' share per instance, pooling/sizing.ts), the
 * start script that writes userlist.txt from the environment at start-up, the Dockerfile lines and the
 * EB platform hooks. Nothing secret is written. Reads config.env (the target's max_connections), not
 * the target. A file already holding the same content and mode is left untouched (`changed: false`).
 * Errors (exit 2): CONFIG_INVALID; BAD_FLAG for a port or instance count that is not a positive
 * integer; POOL_SIZE_UNKNOWN when the instance class's memory is unknown and DB_POOL_SIZE is empty.
 */
export async function writePgbouncerFiles(
  ctx: CommandContext,
  opts: { out?: string; port?: number; maxInstances?: number } = {},
): Promise<PgbouncerFilesResult> {
  const port = opts.port ?? APP_PGBOUNCER_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw userError(
      "BAD_FLAG",
      `--port ${opts.port} is not a TCP port.`,
      "Give a whole number from 1 to 65535.",
    );
  if (opts.maxInstances !== undefined && (!Number.isInteger(opts.maxInstances) || opts.maxInstances < 1))
    throw userError(
      "BAD_FLAG",
      `--max-instances ${opts.maxInstances} is not a positive whole number.`,
      "Give the EB environment's maximum instance count (aws:autoscaling:asg MaxSize), e.g. --max-instances 4.",
    );
  const config = await requireConfig(ctx);
  const desired = deriveDesired(config, targetOf(ctx));
  const sizing = sizingFor(desired, instancesFor(desired.target, opts.maxInstances), MAX_CONNECTIONS);
  const poolSize = config.poolSize ?? sizing?.perInstance;
  if (poolSize === undefined)
    throw userError(
      "POOL_SIZE_UNKNOWN",
      `ebdb does not know the memory of ${config.instanceClass}, so not its max_connections: it cannot size the pool.`,
      "Set DB_POOL_SIZE in config.env to the server connections each application instance may hold.",
    );
  if (poolSize < 1)
    throw userError(
      "POOL_IMPOSSIBLE",
      `No pool fits: ${sizing?.warnings.join(" ") ?? ""}`.trim(),
      "Set DB_POOL_SIZE, choose a larger DB_INSTANCE_CLASS, or run fewer application instances.",
    );
  const why =
    config.poolSize !== null || !sizing
      ? `${poolSize}, DB_POOL_SIZE in config.env`
      : `${poolSize} = (max_connections ${sizing.maxConnections} − ${sizing.superuserReserved + sizing.operationsReserve} reserved) ÷ ${sizing.instances} application instance(s) (${instancesFor(desired.target, opts.maxInstances).from})`;
  const dir = resolve(ctx.cwd, opts.out ?? ".");
  const files: PgbouncerFilesResult["files"] = [];
  for (const f of pgbouncerAppFiles({ port, poolSize, poolSizeWhy: why })) {
    const path = join(dir, f.path);
    const bytes = Buffer.byteLength(f.content);
    const old = await readFile(path, "utf8").catch(() => null);
    const oldMode = await stat(path).then(
      (s) => s.mode & 0o777,
      () => null,
    );
    const changed = old !== f.content || oldMode !== f.mode;
    if (changed) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, f.content, { mode: f.mode });
      await chmod(path, f.mode);
    }
    files.push({ path: f.path, bytes, mode: f.mode.toString(8).padStart(4, "0"), changed });
  }
  const notes = config.rdsProxy
    ? [
        `DB_RDS_PROXY_ENABLED is on: ${desired.target === "aws" ? "RDS Proxy" : "the local PgBouncer"} already pools in front of the primary (DATABASE_POOL_URL). This PgBouncer connects to DB_HOST, the primary directly: use one or the other.`,
      ]
    : [];
  return {
    dir,
    pgbouncerDir: join(dir, APP_DIR),
    port,
    poolSize,
    sizing,
    minVersion: PGBOUNCER_MIN_VERSION,
    testedVersion: PGBOUNCER_TESTED_VERSION,
    files,
    notes,
  };
}
