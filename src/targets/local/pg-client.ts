import type pg from "pg";
import { systemError } from "../../errors.js";
import type { Secret } from "../../model/secret.js";

let pgModule: Promise<typeof import("pg")> | undefined;

/** Loads the pg driver (once). Called early by code about to start a server, so loading overlaps the start. */
export function loadPg(): Promise<typeof import("pg")> {
  pgModule ??= import("pg");
  return pgModule;
}

/**
 * Opens a TLS connection to a local server for ebdb's own work (not verified: ebdb reaches its own
 * servers on 127.0.0.1 and may run before the project's CA-signed certificate is in place).
 */
export async function connect(
  port: number,
  user: string,
  password: Secret,
  database: string,
  opts: { timeoutMs?: number } = {},
): Promise<pg.Client> {
  const { default: pgDriver } = await loadPg();
  const client = new pgDriver.Client({
    host: "127.0.0.1",
    port,
    user,
    password: password.reveal(),
    database,
    ssl: { rejectUnauthorized: false },
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
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = await connect(port, user, password, database);
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
