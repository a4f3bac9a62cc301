import { userError } from "../errors.js";
import type { ConnectionInfo, Target } from "../targets/target.js";
import { connectionVars, type VarsOptions } from "../targets/connection-vars.js";
import { readerVars } from "./autoscale-reader.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";
import { type EnvFormat, formatEnv } from "./env-format.js";
import { pickNode } from "./url.js";

export { connectionUrl, jdbcUrl } from "../targets/connection-vars.js";
export { type EnvFormat, FORMAT_READERS, formatEnv } from "./env-format.js";

/** The variables an application gets (see connectionVars for the names). */
export function envVars(c: ConnectionInfo, opts: VarsOptions = {}): Record<string, string> {
  return connectionVars(c, opts);
}

export interface EnvResult {
  vars: Record<string, string>;
  text: string;
}

/**
 * `ebdb env [--format dotenv|json|shell] [--instance NAME]`: what the application needs to connect
 * (the password included), for the primary or the named instance, in a format whose readers read
 * every value exactly (env-format.ts). RDS_* names too when EB_RDS_PROPERTIES is on.
 * Errors: BAD_FORMAT, BAD_DOTENV_VALUE, INSTANCE_NOT_FOUND (exit 2); the target's own.
 */
export async function env(
  ctx: CommandContext,
  opts: { format?: EnvFormat; instance?: string; target?: Target } = {},
): Promise<EnvResult> {
  const format = opts.format ?? "dotenv";
  if (!["dotenv", "json", "shell"].includes(format)) {
    throw userError("BAD_FORMAT", `--format ${format} is not a format.`, "Use dotenv, json or shell.");
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  const c = await target.connection(desired);
  const node = pickNode(c, undefined, opts.instance);
  const vars = {
    ...connectionVars(c, { node, rdsNames: desired.config.ebRdsProperties }),
    ...(await readerVars(ctx, target, desired)),
  };
  return { vars, text: formatEnv(vars, format) };
}
