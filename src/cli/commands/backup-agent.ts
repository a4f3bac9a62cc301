import { requireConfig } from "../../config/load.js";
import { deriveDesired } from "../../model/desired.js";
import type { CliContext } from "../output.js";

/**
 * `ebdb backup-agent <identifier>` (hidden): the local backup agent's process, which `up` starts
 * (src/targets/local/backup-agent.ts); not a command for users.
 */
export async function run(cli: CliContext, identifier: string): Promise<number> {
  const ctx = { ...cli.ctx, target: "local" as const };
  const desired = deriveDesired(await requireConfig(ctx), "local");
  const { runBackupAgent } = await import("../../targets/local/backup-agent-loop.js");
  return runBackupAgent(ctx, desired, identifier);
}
