import { psql } from "../../api/psql.js";
import { runInForeground } from "../foreground-child.js";
import type { CliContext, GlobalFlags } from "../output.js";

/**
 * `ebdb psql [--replica [name] | --instance NAME] [psql arguments...] [-- psql arguments...]`: psql on the terminal.
 * Arguments ebdb does not know are psql's, in their order; everything after `--` is psql's unchanged
 * (the way to pass `--help`, `-V` or an argument that looks like one of ebdb's flags). ebdb's exit
 * code is psql's.
 */
export async function run(cli: CliContext, psqlArgs: string[] = []): Promise<number> {
  const flags = cli.flags as GlobalFlags & { replica?: string | boolean; instance?: string };
  // commander keeps a `--` that follows an unknown option (`-X -- -At`); it is ours, not psql's.
  const sep = psqlArgs.indexOf("--");
  const args = sep < 0 ? psqlArgs : [...psqlArgs.slice(0, sep), ...psqlArgs.slice(sep + 1)];
  const launch = await psql(cli.ctx, { replica: flags.replica, instance: flags.instance, args });
  return runInForeground(launch.command, launch.args, { env: launch.env, cwd: cli.ctx.cwd });
}
