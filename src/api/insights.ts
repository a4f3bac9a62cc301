import { insightsRetentionHint, isInsightsRetention } from "../config/rules-replicas.js";
import { userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { announce, notOffered, openDay2 } from "./day2-common.js";

export interface InsightsOptions {
  /** --retention in days: 7 (free), 31 × months (up to 713), or 731. Default 7. */
  retentionDays?: number;
  target?: Target;
}

export interface InsightsResult {
  identifier: string;
  retentionDays: number;
}

/**
 * `ebdb insights enable [--retention DAYS]`: Performance Insights on the primary and its replicas
 * (online). A retention RDS does not offer is BAD_RETENTION, a user error, before anything is opened.
 */
export async function enableInsights(
  ctx: CommandContext,
  opts: InsightsOptions = {},
): Promise<InsightsResult> {
  const days = opts.retentionDays ?? 7;
  if (!Number.isInteger(days) || !isInsightsRetention(days)) {
    throw userError(
      "BAD_RETENTION",
      `--retention ${days} is not a retention Performance Insights offers.`,
      insightsRetentionHint(days),
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  if (!target.enableInsights)
    notOffered(
      target,
      "insights enable",
      "Performance Insights is an RDS feature (locally, use pg_stat_statements)",
    );
  await announce(ctx, target, desired);
  await target.enableInsights(desired, days, ctx.io);
  return { identifier: desired.identifier, retentionDays: days };
}
