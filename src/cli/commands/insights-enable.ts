import { enableInsights } from "../../api/insights.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type InsightsFlags = GlobalFlags & { retention?: string };

/** `ebdb insights enable [--retention DAYS]`. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as InsightsFlags;
  // Up to 4 digits: any longer is no retention, and Number() would print it as 1e+21.
  if (flags.retention !== undefined && !/^\d{1,4}$/.test(flags.retention)) {
    throw userError(
      "BAD_RETENTION",
      `--retention ${flags.retention} is not a retention Performance Insights offers.`,
      "Use 7 (free), a multiple of 31 up to 713 (e.g. 93 for 3 months), or 731.",
    );
  }
  const result = await enableInsights(cli.ctx, {
    retentionDays: flags.retention === undefined ? undefined : Number(flags.retention),
  });
  if (flags.json) printJson(cli.output, result);
  else
    cli.output.out(`Performance Insights is on for ${result.identifier} (kept ${result.retentionDays} days)`);
  return 0;
}
