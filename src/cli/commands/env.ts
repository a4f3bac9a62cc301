import { type EnvFormat, env } from "../../api/env.js";
import type { CliContext, GlobalFlags } from "../output.js";

/** `ebdb env [--format dotenv|json|shell]` (--json means --format json). */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { format?: EnvFormat };
  const result = await env(cli.ctx, { format: flags.json ? "json" : (flags.format ?? "dotenv") });
  cli.output.out(result.text);
  return 0;
}
