import type { Engine } from "../model/config.js";
import { LOG_TYPES } from "./catalog/log-exports.js";
import { type Findings, quote, type Values } from "./rules-context.js";

/**
 * DB_PARAMETER_GROUP_NAME: a name RDS can hold. RDS CreateDBParameterGroup takes 1-255 letters,
 * digits and hyphens, a letter first, no hyphen last or doubled; the groups RDS makes itself are
 * named `default.<family>` (RDS API Reference, CreateDBParameterGroup). With a group of the user's,
 * DB_SLOW_QUERY_MS has no effect (ebdb sets it only in its own group), so setting both is an error.
 */
export function checkParameterGroup(v: Values, f: Findings): void {
  const name = v.optStr("DB_PARAMETER_GROUP_NAME");
  if (typeof name !== "string") return;
  const own = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}$/.test(name) && !name.endsWith("-");
  if (!own && !/^default\.[a-z0-9.-]+$/.test(name)) {
    f.error(
      "DB_PARAMETER_GROUP_NAME",
      `${quote(name)} is not a DB parameter group name`,
      "Write an existing group's name (1-255 letters, digits and single hyphens, a letter first, or RDS's default.<family>), or leave it empty for ebdb's own.",
    );
    return;
  }
  if (v.has("DB_SLOW_QUERY_MS") && !v.defaulted.has("DB_SLOW_QUERY_MS")) {
    f.error(
      ["DB_SLOW_QUERY_MS", "DB_PARAMETER_GROUP_NAME"],
      `DB_SLOW_QUERY_MS is applied through ebdb's own parameter group, but DB_PARAMETER_GROUP_NAME names ${quote(name)}, whose log_min_duration_statement rules`,
      "Remove DB_SLOW_QUERY_MS (and set log_min_duration_statement in that group), or empty DB_PARAMETER_GROUP_NAME to have ebdb make its own group (a restart).",
    );
  }
}

/** DB_CLOUDWATCH_LOGS_EXPORTS: `none`, or log types the engine publishes. */
export function checkLogExports(v: Values, f: Findings): void {
  const value = v.optStr("DB_CLOUDWATCH_LOGS_EXPORTS");
  const engine = v.str("DB_ENGINE") as Engine | undefined;
  if (typeof value !== "string" || value.trim().toLowerCase() === "none" || !engine) return;
  const known = LOG_TYPES[engine];
  if (!known) return;
  const unknown = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && !known.includes(s));
  if (unknown.length > 0) {
    f.error(
      "DB_CLOUDWATCH_LOGS_EXPORTS",
      `${unknown.map(quote).join(", ")} ${unknown.length > 1 ? "are not log types" : "is not a log type"} RDS publishes for ${engine}`,
      `Write \`none\` or a comma list of ${known.join(", ")}; or leave it empty for ebdb's default.`,
    );
  }
}
