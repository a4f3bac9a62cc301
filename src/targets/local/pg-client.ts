import type { SecureContext } from "node:tls";
import type pg from "pg";
import { systemError } from "../../errors.js";
import type { Secret } from "../../model/secret.js";

let pgModule: Promise<typeof import("pg")> | undefined;

/** Loads the pg driver (once). Called early by code about to start a server, so loading overlaps the start. */
export function loadPg(): Promise<typeof import("pg")> {
  pgModule ??= (async () => {
    // When it is loaded pg asks whether it runs in Cloudflare Workers: from navigator.userAgent, or,
    // without a navigator (Node 20; Node 21+ has one), by building a fetch Response, which loads all
    // of Node's fetch (undici, 15-20 ms of a 0.2 s `status`). A navigator that is not Cloudflare's
    // answers it; it is removed at once, so nothing else ever sees it.
    const shim = typeof globalThis.navigator === "undefined";
    if (shim)
      Object.defineProperty(globalThis, "navigator", { value: { userAgent: "Node.js" }, configurable: true });
    try {
      return await import("pg");
    } finally {
      if (shim) Reflect.deleteProperty(globalThis, "navigator");
    }
  })();
  return pgModule;
}

/**
 * Settings ebdb's own sessions pin in their startup packet, which outranks what the database or a
 * role sets (ALTER DATABASE ... SET): the application's master user owns its database and could
 * otherwise put its own schema first in ebdb's search_path (an operator of its own, run as the
 * superuser), load a library into ebdb's sessions, or change how dates read back.
 */
const PINNED = [
  "search_path=pg_catalog,pg_temp",
  "local_preload_libraries=",
  "default_transaction_read_only=off",
  "statement_timeout=0",
  "lock_timeout=0",
  "idle_in_transaction_session_timeout=0",
  "datestyle=ISO,MDY",
  "timezone=UTC",
  "intervalstyle=postgres",
]
  .map((x) => `-c ${x}`)
  .join(" ");

const contexts = new Map<string, SecureContext>();

/** One TLS context per CA for the process: each costs OpenSSL some milliseconds to make (status opens one connection per node). */
async function contextFor(ca: string): Promise<SecureContext> {
  let c = contexts.get(ca);
  if (!c) {
    const { createSecureContext } = await import("node:tls");
    c = createSecureContext({ ca });
    contexts.set(ca, c);
  }
  return c;
}

/**
 * Opens a TLS connection to a local server for ebdb's own work, verifying the server's certificate
 * against the project's CA (`ca`, PEM) and its address: a program that took a stopped server's port
 * gets no password (it would ask for it in clear text). Database and role settings that could turn
 * ebdb's session against it are overridden (PINNED).
 */
export async function connect(
  port: number,
  user: string,
  password: Secret,
  database: string,
  opts: { timeoutMs?: number; ca: string },
): Promise<pg.Client> {
  const { default: pgDriver } = await loadPg();
  const client = new pgDriver.Client({
    host: "127.0.0.1",
    port,
    user,
    password: password.reveal(),
    database,
    ssl: { secureContext: await contextFor(opts.ca), rejectUnauthorized: true },
    enableChannelBinding: true,
    options: PINNED,
    connectionTimeoutMillis: opts.timeoutMs ?? 10_000,
    application_name: "ebdb",
  });
  // An error after connecting (e.g. the server shuts down) must not crash the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw systemError(
      "PG_CONNECT_FAILED",
      `Could not connect to 127.0.0.1:${port} as ${user}: ${(e as Error).message}`,
      undefined,
      e,
    );
  }
  return client;
}

/** Runs `fn` with a connection, always closing it. */
export async function withClient<T>(
  port: number,
  user: string,
  password: Secret,
  database: string,
  ca: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = await connect(port, user, password, database, { ca });
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** A SQL identifier, quoted. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal. */
export function literal(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}
