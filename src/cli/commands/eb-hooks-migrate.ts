import { writeMigrateHooks } from "../../api/eb-files.js";
import type { ToolChoice } from "../../api/migrate.js";
import type { EbPlatform } from "../../migrate/eb-hooks.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

/**
 * `ebdb eb-hooks migrate [--tool T|auto] [--platform al2023|al2] [--out DIR] [--json]`: the files that
 * run the application's migrations once per deployment, on one EB instance.
 */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { out?: string; tool?: ToolChoice; platform?: EbPlatform };
  const result = await writeMigrateHooks(cli.ctx, {
    out: flags.out,
    tool: flags.tool,
    platform: flags.platform,
  });
  if (flags.json) {
    printJson(cli.output, result);
    return 0;
  }
  const why = result.evidence.length ? `found ${result.evidence.slice(0, 2).join(", ")}` : "--tool";
  cli.output.err(
    `ebdb eb-hooks migrate: ${result.tool} (${why}), for ${result.platform === "al2" ? "Amazon Linux 2" : "Amazon Linux 2023"}`,
  );
  for (const f of result.files) {
    cli.output.out(`${f.changed ? "wrote" : "unchanged"} ${f.path} (${Math.ceil(f.bytes / 1024)} KiB)`);
  }
  cli.output.err(
    "Commit them and deploy (eb deploy packages the last git commit). At each deployment the instance Elastic Beanstalk chooses as leader runs the migrations, before the new version serves; a failed migration fails the deployment.",
  );
  return 0;
}
