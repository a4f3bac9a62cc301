/**
 * What `ebdb doctor` reports: each check green, yellow or red (or skipped, saying why), with what it
 * saw and the fix. Pure data; the checks (checks/*.ts) turn a target's HealthObservation into these.
 */

export type CheckStatus = "green" | "yellow" | "red" | "skipped";

export interface CheckResult {
  /** Stable, kebab-case: `connections`, `long-queries`, ... (the registry's order). */
  id: string;
  status: CheckStatus;
  /** One sentence: what was found (or why the check was skipped). */
  summary: string;
  /** The figures the verdict rests on (JSON-safe: numbers, strings, arrays, plain objects). */
  observed: Record<string, unknown>;
  /** What to do about it; null when green or skipped. */
  fix: string | null;
}

export interface DoctorReport {
  target: "local" | "aws";
  identifier: string;
  /** The instance examined (the primary unless --instance). */
  instance: string;
  checks: CheckResult[];
}

/** Limits the checks judge by; every figure has its source in thresholds.ts. */
export interface Thresholds {
  /** Share of max_connections in use: yellow from, red from (0-1). */
  connectionsYellow: number;
  connectionsRed: number;
  /** Seconds a statement may run before it is a long query (the spec's 5 s; `--long-query-seconds`). */
  longQuerySeconds: number;
  /** Seconds a session may sit idle in a transaction (Heroku's pg:diagnose: a minute). */
  idleInTransactionSeconds: number;
  /** Seconds a transaction may stay open: yellow from, red from. */
  longTransactionYellowSeconds: number;
  longTransactionRedSeconds: number;
  /** Buffer cache hit rate under which the check is yellow, and red (0-1). */
  cacheHitYellow: number;
  cacheHitRed: number;
}
