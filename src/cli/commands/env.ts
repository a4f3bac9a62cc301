import { type EnvFormat, env } from "../../api/env.js";
import type { CliContext, GlobalFlags } from "../output.js";

/** `ebdb env [--format dotenv|json|shell] [--instance NAME]` (--json means --format json). */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { format?: EnvFormat; instance?: string };
  const result = await env(cli.ctx, {
    format: flags.json ? "json" : (flags.format ?? "dotenv"),
    instance: flags.instance,
  });
  cli.output.out(result.text);
  return 0;
}
