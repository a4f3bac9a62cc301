import { type EnvFormat, env } from "../../api/env.js";
import { writeEnvFile } from "../../api/env-file.js";
import type { CliContext, GlobalFlags } from "../output.js";

/** `ebdb env [--format dotenv|json|shell] [--instance NAME] [--out FILE]` (--json means --format json). */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { format?: EnvFormat; instance?: string; out?: string };
  const result = await env(cli.ctx, {
    format: flags.json ? "json" : (flags.format ?? "dotenv"),
    instance: flags.instance,
  });
  if (flags.out === undefined) {
    cli.output.out(result.text);
    return 0;
  }
  const file = await writeEnvFile(cli.ctx.cwd, flags.out, result.text);
  cli.output.err(`Wrote ${file.path} (mode 0600).\n`);
  if (file.trackedByGit)
    cli.output.err(
      `warning: ${file.path} holds the database password and git does not ignore it: add it to .gitignore.\n`,
    );
  return 0;
}
