import { ACTIVITY_CHECKS } from "./checks/activity.js";
import type { Check } from "./checks/common.js";
import { CONNECTIVITY_CHECKS } from "./checks/connectivity.js";
import { REPLICATION_CHECKS } from "./checks/replication.js";
import { RESOURCE_CHECKS } from "./checks/resources.js";
import { SCHEMA_CHECKS } from "./checks/schema.js";
import type { HealthObservation } from "./observation.js";
import { DEFAULT_THRESHOLDS } from "./thresholds.js";
import type { CheckResult, DoctorReport, Thresholds } from "./types.js";

/** Every check, in the order the report lists them. */
export const CHECKS: readonly Check[] = [
  ...CONNECTIVITY_CHECKS,
  ...ACTIVITY_CHECKS,
  ...SCHEMA_CHECKS,
  ...REPLICATION_CHECKS,
  ...RESOURCE_CHECKS,
];

/** The report of every check over one observation (pure). A check that throws is a bug: it says so. */
export function runChecks(o: HealthObservation, thresholds: Partial<Thresholds> = {}): DoctorReport {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const checks: CheckResult[] = CHECKS.map((c) => {
    try {
      return { id: c.id, ...c.run(o, t) };
    } catch (e) {
      return {
        id: c.id,
        status: "skipped",
        summary: `internal error in this check (a bug in ebdb): ${(e as Error).message}`,
        observed: {},
        fix: null,
      };
    }
  });
  return { target: o.target, identifier: o.identifier, instance: o.instance.name, checks };
}

/** Checks the API adds beside the observation's (api/autoscale-reader.ts: it needs a connection of its own). */
const OTHER_TITLES: Record<string, string> = { "reader-endpoint": "Reader endpoint" };

/** The title of a check by id (for the text report). */
export function titleOf(id: string): string {
  return CHECKS.find((c) => c.id === id)?.title ?? OTHER_TITLES[id] ?? id;
}
