import { connect } from "node:net";
import { WalClock } from "../../autoscale/reader.js";
import { ensureReaderPort, READER_HOST } from "./autoscale-endpoint.js";
import { checkReplica, type ReplicaCheck, samplePrimary } from "./autoscale-health.js";
import { readState } from "./autoscale-state.js";
import { runnerAlive } from "./autoscale-status.js";
import { listMetas } from "./meta.js";
import type { Session } from "./session.js";
import { requirePrimary } from "./settings.js";

/** How long to wait for the reader endpoint's port to accept a TCP connection. */
const PROBE_MS = 1000;

/** What `env`/`exec` hand out as DB_READER_HOST/DB_READER_PORT on the local target. */
export interface LocalReaderAddress {
  host: string;
  port: number;
  /** True when this is the reader endpoint, served now by `ebdb autoscale run`'s balancer. */
  served: boolean;
  /** The node the address names when the endpoint is not served (a replica, else the primary). */
  node: string | null;
  /** The primary, although the database has replicas (none running and caught up). */
  toPrimary: boolean;
  /** One line for stderr when the endpoint is not served: what is handed out instead, and how to start it. */
  note: string | null;
}

/** Whether a TCP connection to host:port opens within `ms` (never throws). */
export function answers(host: string, port: number, ms = PROBE_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * The reader address that connects now. The reader endpoint (127.0.0.1 and the recorded port) when
 * `ebdb autoscale run` serves it and it answers; otherwise, so the application's reads never meet
 * "Connection refused", the first replica (by name) that runs, answers ebdb's query and is within
 * the lag bound (the runner's --max-lag, else DB_READ_REPLICA_MAX_LAG_SECONDS), else the primary,
 * as an RDS application falls back to the writer when no replica can serve: with a note saying so.
 * Warm-up is not required here (that is the endpoint's refinement). Needs the database (NOT_CREATED).
 */
export async function localReaderAddress(s: Session): Promise<LocalReaderAddress> {
  const port = await ensureReaderPort(s);
  const st = await readState(s.layout);
  if (runnerAlive(st) && st?.runner?.once === false && (await answers(READER_HOST, port))) {
    return { host: READER_HOST, port, served: true, node: null, toPrimary: false, note: null };
  }
  const primary = await requirePrimary(s);
  const maxLag = st?.runner?.maxLagSeconds ?? s.config.replicas.maxLagSeconds;
  const replicas = (await listMetas(s.layout))
    .filter((m) => m.role === "replica" && m.state !== "creating")
    .sort((a, b) => a.name.localeCompare(b.name));
  const clock = new WalClock(maxLag);
  const pick = async (): Promise<ReplicaCheck | undefined> => {
    await samplePrimary(s, primary, clock);
    const checks = await Promise.all(replicas.map((m) => checkReplica(s, m, clock, true)));
    return checks.find(
      (c) => c.health.accepting && c.health.lagSeconds !== null && c.health.lagSeconds <= maxLag,
    );
  };
  // One primary sample bounds no lag but 0; a second lets a replica just behind the first count as caught up.
  const chosen = replicas.length ? ((await pick()) ?? (await pick())) : undefined;
  const start = "start it with `ebdb autoscale run` to read through the endpoint";
  const served = `the reader endpoint ${READER_HOST}:${port} is not served (\`ebdb autoscale run\` serves it)`;
  if (chosen) {
    const m = chosen.meta;
    return {
      host: READER_HOST,
      port: m.port,
      served: false,
      node: m.name,
      toPrimary: false,
      note: `${served}: DB_READER_HOST/DB_READER_PORT name replica ${m.name} directly; ${start}.`,
    };
  }
  return {
    host: READER_HOST,
    port: primary.port,
    served: false,
    node: primary.name,
    toPrimary: replicas.length > 0,
    note: `${served}${replicas.length ? " and no replica is running and caught up" : ""}: DB_READER_HOST/DB_READER_PORT name the primary; ${start}.`,
  };
}
