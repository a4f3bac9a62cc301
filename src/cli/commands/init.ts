import { init } from "../../api/init.js";
import { fileLabel } from "../../config/format-problem.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb init [--force]`: write a commented config.env and ignore .ebdb/ in git. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as typeof cli.flags & { force?: boolean };
  const r = await init(cli.ctx, { force: flags.force === true });
  if (flags.json) {
    printJson(cli.output, r);
    return 0;
  }
  const label = fileLabel(r.file, cli.ctx.cwd);
  cli.output.out(
    `${r.overwritten ? "Replaced" : "Wrote"} ${label} with the recommended defaults (APP_NAME="${r.appName}").`,
  );
  if (r.gitignore.action !== "unchanged") {
    cli.output.out(
      `${r.gitignore.action === "created" ? "Created" : "Updated"} ${fileLabel(r.gitignore.file, cli.ctx.cwd)}: .ebdb/ (local state) stays out of git.`,
    );
  }
  cli.output.out("Next: edit it, then `ebdb validate` and `ebdb up`.");
  return 0;
}
