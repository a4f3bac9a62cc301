import type { PoolerStatus } from "../target.js";
import { exists } from "./fs-util.js";
import { findPgbouncer } from "./pgbouncer-binary.js";
import { inspectPooler, poolerDir } from "./pgbouncer-process.js";
import { poolerPoolSize } from "./pgbouncer.js";
import { loadPg } from "./pg-client.js";
import { tlsFiles } from "./node-files.js";
import { readFileSafe } from "./fs-safe.js";
import { ADMIN_USER } from "./roles.js";
import type { Session } from "./session.js";

type Pools = NonNullable<PoolerStatus["pools"]>;

/**
 * PgBouncer's SHOW POOLS through its admin console (database `pgbouncer`, as ebdb's own user, which
 * the pooler lists in admin_users), over TLS verified against the project's CA; null when it does not
 * answer within 3 s. The console speaks only the simple query protocol: no parameters, no options.
 */
async function showPools(s: Session, port: number): Promise<Pools | null> {
  const ca = await readFileSafe(tlsFiles(s.layout).caCert).catch(() => null);
  if (!ca) return null;
  const { default: pg } = await loadPg();
  const c = new pg.Client({
    host: "127.0.0.1",
    port,
    user: ADMIN_USER,
    password: (await s.internal()).admin.reveal(),
    database: "pgbouncer",
    ssl: { ca, rejectUnauthorized: true },
    connectionTimeoutMillis: 3000,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    const r = await c.query("SHOW POOLS");
    const n = (v: unknown) => Number(v ?? 0) || 0;
    return r.rows
      .filter((x) => x.database !== "pgbouncer")
      .map((x) => ({
        database: String(x.database),
        user: String(x.user),
        clientsActive: n(x.cl_active),
        clientsWaiting: n(x.cl_waiting),
        serversActive: n(x.sv_active),
        serversIdle: n(x.sv_idle) + n(x.sv_used),
        maxWaitSeconds: n(x.maxwait),
      }));
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

/** The local pooler for `status`; null when the configuration asks for none and none was made. */
export async function localPoolerStatus(s: Session): Promise<PoolerStatus | null> {
  const made = await exists(poolerDir(s.layout));
  if (!s.config.rdsProxy && !made) return null;
  const base = {
    kind: "pgbouncer" as const,
    name: s.config.names.proxy,
    host: "127.0.0.1",
    maxServerConnections: poolerPoolSize(s),
  };
  const bin = await findPgbouncer(s.ctx.env);
  if (!bin) {
    return {
      ...base,
      state: "not installed",
      port: null,
      note: "PgBouncer is not installed: install it (apt-get install pgbouncer), then run `ebdb up`.",
    };
  }
  const proc = await inspectPooler(s.layout);
  const state = made ? proc.state : "not created";
  return {
    ...base,
    state,
    port: proc.port,
    pid: proc.pid,
    version: bin.version,
    pools: proc.state === "running" && proc.port ? await showPools(s, proc.port) : null,
    note: !s.config.rdsProxy
      ? "DB_RDS_PROXY_ENABLED is off: the next `up` stops it and removes its files."
      : proc.state === "running"
        ? null
        : "Run `ebdb up` to start it.",
  };
}
