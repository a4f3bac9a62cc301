import { migrateLaunch, type ToolChoice } from "../../api/migrate.js";
import { runInForeground } from "../foreground-child.js";
import type { CliContext, GlobalFlags } from "../output.js";

/**
 * `ebdb migrate [--tool django|alembic|flyway|liquibase|prisma|auto] [-- extra args]`: runs the
 * project's migration tool with its usual command against the primary, directly (never the pooler),
 * the connection in its environment as `ebdb exec` gives it. Says on stderr what it found and runs;
 * the tool's output is its own; ebdb's exit code is the tool's (128 + N when signal N ended it).
 */
export async function run(cli: CliContext, extra: string[] = []): Promise<number> {
  const flags = cli.flags as GlobalFlags & { tool?: ToolChoice };
  const launch = await migrateLaunch(cli.ctx, { tool: flags.tool ?? "auto", args: extra });
  const why = launch.detected
    ? `found ${launch.evidence.slice(0, 2).join(", ")}${launch.evidence.length > 2 ? ", ..." : ""}: ${launch.tool}`
    : `${launch.tool} (--tool)`;
  const shown = [launch.command.split("/").pop(), ...launch.args].join(" ");
  cli.output.err(
    `ebdb migrate: ${why}; running \`${shown}\` against ${launch.host}:${launch.port} (the primary, direct)`,
  );
  const code = await runInForeground(launch.command, launch.args, { env: launch.env, cwd: cli.ctx.cwd });
  cli.output.err(
    code === 0 ? "ebdb migrate: done" : `ebdb migrate: ${launch.tool} exited with status ${code}`,
  );
  return code;
}
