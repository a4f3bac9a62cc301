import type { Engine } from "../../model/config.js";

/**
 * The log types RDS can publish to CloudWatch Logs per engine (EnableCloudwatchLogsExports), from the
 * RDS User Guide, "Publishing database logs to Amazon CloudWatch Logs" (PostgreSQL: postgresql,
 * upgrade, iam-db-auth-error; MySQL: audit, error, general, slowquery, iam-db-auth-error; MariaDB:
 * audit, error, general, slowquery).
 */
export const LOG_TYPES: Readonly<Record<Engine, readonly string[]>> = {
  postgres: ["postgresql", "upgrade", "iam-db-auth-error"],
  mysql: ["audit", "error", "general", "slowquery", "iam-db-auth-error"],
  mariadb: ["audit", "error", "general", "slowquery"],
};

/** ebdb's default exports: the server and upgrade logs for PostgreSQL; the error and slow-query logs otherwise. */
export function defaultLogExports(engine: Engine): string[] {
  return engine === "postgres" ? ["postgresql", "upgrade"] : ["error", "slowquery"];
}

/**
 * DB_CLOUDWATCH_LOGS_EXPORTS as a list: undefined (empty) is the engine's default, `none` is [],
 * otherwise the comma list, trimmed, without repeats, in the order written. Pure; no check (the rule
 * in rules-monitoring.ts refuses unknown types first).
 */
export function parseLogExports(value: string | undefined, engine: Engine): string[] {
  if (value === undefined || value.trim() === "") return defaultLogExports(engine);
  if (value.trim().toLowerCase() === "none") return [];
  return [
    ...new Set(
      value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}
