import { fmt, plural } from "../../autoscale/common.js";
import type { RunnerEvent } from "../../autoscale/runner-types.js";
import type { AutoscaleState } from "./autoscale-state.js";
import type { NodeMeta } from "./meta.js";
import { ident } from "./pg-client.js";
import type { Session } from "./session.js";

/** How long a warm-up waits to connect. */
const CONNECT_TIMEOUT_MS = 2000;

/** The most tables a warm-up reads. */
const WARM_TABLES = 10;

export interface WarmResult {
  tables: number;
  bytes: number;
  ms: number;
}

/**
 * The warm-up read of a new replica: each of the application database's largest tables (at most 10,
 * by pg_relation_size) read whole by a sequential scan, what AWS advises against a new replica's
 * lazy loading from its snapshot ("perform operations that involve full-table scans"). Index scans
 * are off for it so that a count cannot be answered from an index alone. `signal` ends it early
 * (the replica stays cold).
 */
export async function warmReplica(s: Session, meta: NodeMeta, signal?: AbortSignal): Promise<WarmResult> {
  const started = Date.now();
  const c = await s.admin(meta.port, s.config.dbName, { timeoutMs: CONNECT_TIMEOUT_MS });
  const stop = () => void c.end().catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  try {
    const r = await c.query<{ schema: string; name: string; bytes: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, pg_relation_size(c.oid)::text AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
          AND pg_relation_size(c.oid) > 0
        ORDER BY pg_relation_size(c.oid) DESC LIMIT ${WARM_TABLES}`,
    );
    await c.query(
      "SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off; SET statement_timeout = 0",
    );
    let bytes = 0;
    for (const t of r.rows) {
      if (signal?.aborted) throw new Error("warm-up stopped");
      await c.query(`SELECT count(*) FROM ONLY ${ident(t.schema)}.${ident(t.name)}`);
      bytes += Number(t.bytes);
    }
    return { tables: r.rows.length, bytes, ms: Date.now() - started };
  } finally {
    signal?.removeEventListener("abort", stop);
    await c.end().catch(() => {});
  }
}

/**
 * The runner's warm-ups: at most one per replica at a time, each recorded in the state (by the
 * replica's creation time: a new replica of the same name is cold) and told as an event.
 */
export class Warmer {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly s: Session,
    private readonly state: () => AutoscaleState,
    private readonly emit: (
      kind: RunnerEvent["kind"],
      message: string,
      data?: Record<string, unknown>,
    ) => void,
    private readonly signal: AbortSignal,
  ) {}

  isWarmed(m: NodeMeta): boolean {
    return this.state().warmed[m.name]?.createdAt === m.createdAt;
  }

  /** Starts warming `meta` unless it is warm or being warmed; `done` runs after a success. */
  start(meta: NodeMeta, done: () => void): void {
    if (this.isWarmed(meta) || this.running.has(meta.name) || this.signal.aborted) return;
    const w = (async () => {
      try {
        const r = await warmReplica(this.s, meta, this.signal);
        this.state().warmed[meta.name] = { createdAt: meta.createdAt, at: new Date().toISOString(), ...r };
        const size = `${plural(r.tables, "largest table")} (${fmt(r.bytes / 1048576)} MiB)`;
        this.emit("warmed", `Warmed ${meta.name}: read its ${size} in ${r.ms} ms.`, {
          replica: meta.name,
          ...r,
        });
        done();
      } catch (e) {
        const again = `Warm-up of ${meta.name} failed (${(e as Error).message}); trying again at the next check.`;
        if (!this.signal.aborted) this.emit("warning", again);
      } finally {
        this.running.delete(meta.name);
      }
    })();
    this.running.set(meta.name, w);
  }

  /** Waits for the warm-ups under way. */
  async settle(): Promise<void> {
    await Promise.all(this.running.values());
  }
}
