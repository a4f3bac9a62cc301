import { audit, checkRestoreDays } from "../../api/audit.js";
import { auditExitCode } from "../../audit/practices.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";
import { auditLines } from "../render/audit.js";

type AuditFlags = GlobalFlags & { restoreDays?: string };

/** `ebdb audit [--json] [--restore-days N]`: exit 1 when a practice fails. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as AuditFlags;
  const restoreWithinDays = flags.restoreDays === undefined ? undefined : checkRestoreDays(flags.restoreDays);
  const { observation: _, ...report } = await audit(cli.ctx, { restoreWithinDays });
  if (flags.json) printJson(cli.output, report);
  else cli.output.out(auditLines(report, cli.output.color).join("\n"));
  return auditExitCode(report);
}
