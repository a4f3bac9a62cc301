import type { HealthObservation, PgFacts } from "../observation.js";
import type { CheckResult, Thresholds } from "../types.js";

/** What a check returns; the registry adds its id. */
export type Verdict = Omit<CheckResult, "id">;

/** One check: an id, a title for the text report, and a pure function of the observation. */
export interface Check {
  id: string;
  title: string;
  run(o: HealthObservation, t: Thresholds): Verdict;
}

export const green = (summary: string, observed: Record<string, unknown> = {}): Verdict => ({
  status: "green",
  summary,
  observed,
  fix: null,
});
export const yellow = (summary: string, observed: Record<string, unknown>, fix: string): Verdict => ({
  status: "yellow",
  summary,
  observed,
  fix,
});
export const red = (summary: string, observed: Record<string, unknown>, fix: string): Verdict => ({
  status: "red",
  summary,
  observed,
  fix,
});
export const skipped = (summary: string, observed: Record<string, unknown> = {}): Verdict => ({
  status: "skipped",
  summary,
  observed,
  fix: null,
});

/** Yellow or red by a level, green below it. */
export function graded(
  level: "green" | "yellow" | "red",
  summary: string,
  observed: Record<string, unknown>,
  fix: string,
): Verdict {
  return level === "green" ? green(summary, observed) : { status: level, summary, observed, fix };
}

/** A check on the server's SQL views: skipped, saying why, when they could not be read. */
export function withPg(o: HealthObservation, run: (pg: PgFacts) => Verdict): Verdict {
  if (o.instance.engine !== "postgres")
    return skipped(`does not apply to ${o.instance.engine}: it reads PostgreSQL's own statistics views`);
  if (!o.pg) return skipped(o.pgSkipped ?? "the server could not be queried");
  return run(o.pg);
}

/** The command that opens psql on the database, for fixes. */
export function psqlHint(o: HealthObservation): string {
  return o.target === "aws"
    ? 'psql (from an EB instance: `eb ssh`, then `psql "$DATABASE_URL"`)'
    : "`ebdb psql`";
}
