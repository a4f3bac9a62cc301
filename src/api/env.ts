import { userError } from "../errors.js";
import type { ConnectionInfo, Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";

export type EnvFormat = "dotenv" | "json" | "shell";

/**
 * The variables an application gets, with the names the Elastic Beanstalk environment gets on AWS:
 * DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD, DATABASE_URL (with sslmode=require), and
 * DB_REPLICA_HOSTS: the read replicas as comma-separated host:port (empty without replicas).
 */
export function envVars(c: ConnectionInfo): Record<string, string> {
  return {
    DB_HOST: c.host,
    DB_PORT: String(c.port),
    DB_NAME: c.dbName,
    DB_USERNAME: c.username,
    DB_PASSWORD: c.password.reveal(),
    DATABASE_URL: connectionUrl(c),
    DB_REPLICA_HOSTS: c.readers.map((r) => `${r.host}:${r.port}`).join(","),
  };
}

/** postgresql://user:password@host:port/db?sslmode=require, each part percent-encoded; a replica's when `node` is given. */
export function connectionUrl(c: ConnectionInfo, node?: { host: string; port: number }): string {
  const e = encodeURIComponent;
  const host = node?.host ?? c.host;
  const port = node?.port ?? c.port;
  return `postgresql://${e(c.username)}:${e(c.password.reveal())}@${host}:${port}/${e(c.dbName)}?sslmode=${c.sslmode}`;
}

/** Double quotes for a .env file (dotenv and docker-compose read backslash escapes inside them). */
function dq(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "\\$").replace(/\n/g, "\\n")}"`;
}

/** Single quotes for sh/bash: nothing is special inside them except the quote itself. */
function sq(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/** The variables as text in a format: KEY="value" lines, `export KEY='value'` lines, or a JSON object. */
export function formatEnv(vars: Record<string, string>, format: EnvFormat): string {
  if (format === "json") return JSON.stringify(vars, null, 2);
  const lines = Object.entries(vars).map(([k, v]) =>
    format === "shell" ? `export ${k}=${sq(v)}` : `${k}=${dq(v)}`,
  );
  return lines.join("\n");
}

export interface EnvResult {
  vars: Record<string, string>;
  text: string;
}

/** `ebdb env [--format dotenv|json|shell]`: what the application needs to connect (the password included). */
export async function env(
  ctx: CommandContext,
  opts: { format?: EnvFormat; target?: Target } = {},
): Promise<EnvResult> {
  const format = opts.format ?? "dotenv";
  if (!["dotenv", "json", "shell"].includes(format)) {
    throw userError("BAD_FORMAT", `--format ${format} is not a format.`, "Use dotenv, json or shell.");
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  const vars = envVars(await target.connection(desired));
  return { vars, text: formatEnv(vars, format) };
}
