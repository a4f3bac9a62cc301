import type { IoHost } from "../io.js";
import type { TargetName } from "../model/config.js";

/** What every library command takes. Tests build one directly; the CLI builds it from flags. */
export interface CommandContext {
  cwd: string;
  /** The process environment (for $VAR expansion, EBDB_CONFIG, EBDB_TARGET, AWS_*). */
  env: Readonly<Record<string, string | undefined>>;
  io: IoHost;
  /** --config PATH. */
  configPath?: string;
  /** --target; otherwise EBDB_TARGET; otherwise local. */
  target?: TargetName;
  /** AWS options from flags (--profile, --region); the aws target reads the rest from env. */
  aws?: { profile?: string; region?: string };
}

export function targetOf(ctx: CommandContext): TargetName {
  const t = ctx.target ?? ctx.env.EBDB_TARGET ?? "local";
  return t === "aws" ? "aws" : "local";
}
