import { spawn } from "node:child_process";
import { psql } from "../../api/psql.js";
import type { CliContext, GlobalFlags } from "../output.js";

/** `ebdb psql [--replica [name]]`: psql on the terminal; the password goes through a temporary PGPASSFILE. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { replica?: string | boolean };
  const launch = await psql(cli.ctx, { replica: flags.replica });
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(launch.command, launch.args, {
        stdio: "inherit",
        env: { ...process.env, ...launch.env },
      });
      child.on("error", reject);
      child.on("exit", (code) => resolve(code ?? 1));
    });
  } finally {
    launch.cleanup();
  }
}
