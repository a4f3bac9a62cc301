import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { execLaunch } from "../../api/exec.js";
import { userError } from "../../errors.js";
import { runInForeground } from "../foreground-child.js";
import type { CliContext, GlobalFlags } from "../output.js";

/**
 * `ebdb exec [--instance NAME | --replica [name]] -- <command ...>`: runs the command in ebdb's
 * place with the connection in its environment; signals behave as with `ebdb psql`
 * (runInForeground), and ebdb's exit code is the command's (128 + N when signal N ended it; 127
 * when it cannot be found, 126 when it cannot be run, as a shell says).
 */
export async function run(cli: CliContext, command: string[] = []): Promise<number> {
  const flags = cli.flags as GlobalFlags & { replica?: string | boolean; instance?: string };
  // Everything after ebdb's `--` is the command's, a later `--` included; before it, an option
  // ebdb does not know is a mistake (commander hands it over as if it were the command).
  if (command[0]?.startsWith("-")) {
    throw userError(
      "UNKNOWN_OPTION",
      `${command[0]} is not an option of ebdb exec.`,
      "ebdb's options go before --, the command after it: `ebdb exec [--instance NAME] -- <command ...>`.",
    );
  }
  const launch = await execLaunch(cli.ctx, { command, instance: flags.instance, replica: flags.replica });
  const missing = runnable(launch.command, launch.env.PATH ?? "", cli.ctx.cwd);
  try {
    if (missing) throw Object.assign(new Error(missing), { code: missing });
    return await runInForeground(launch.command, launch.args, { env: launch.env, cwd: cli.ctx.cwd });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EACCES") throw e;
    cli.output.err(
      `ebdb exec: ${launch.command}: ${code === "ENOENT" ? "command not found" : "permission denied"}`,
    );
    return code === "ENOENT" ? 127 : 126;
  }
}

/**
 * Null when `command` can be run (a path, or a name found in PATH as execvp finds it); otherwise
 * ENOENT or EACCES, so ebdb says so itself rather than through the wrapper that starts it.
 */
function runnable(command: string, path: string, cwd: string): "ENOENT" | "EACCES" | null {
  const candidates = command.includes("/")
    ? [resolve(cwd, command)]
    : path.split(":").map((dir) => resolve(cwd, dir || ".", command));
  let found: "ENOENT" | "EACCES" = "ENOENT";
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    try {
      accessSync(file, constants.X_OK);
      return null;
    } catch {
      found = "EACCES";
    }
  }
  return found;
}
