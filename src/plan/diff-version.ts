import type { Engine } from "../model/config.js";

/** How a configured engine version relates to the running one. */
export type VersionStep = "same" | "minor-upgrade" | "major-upgrade" | "minor-downgrade" | "major-downgrade";

/** The major line of a version: "16" for PostgreSQL 16.4, "8.0" for MySQL 8.0.35, "10.11" for MariaDB 10.11.6. */
export function majorOf(engine: Engine, version: string): string {
  const parts = version.split(".");
  return engine === "postgres" ? parts[0] : parts.slice(0, 2).join(".");
}

function numbers(version: string): number[] {
  return version.split(".").map((p) => {
    const n = Number.parseInt(p, 10);
    return Number.isNaN(n) ? 0 : n;
  });
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Compares the running version with the configured one. A bare major line in the configuration
 * ("16") matches any minor of that line: RDS picked the minor.
 */
export function versionStep(engine: Engine, running: string, wanted: string): VersionStep {
  const runningMajor = majorOf(engine, running);
  const wantedMajor = majorOf(engine, wanted);
  const majorCmp = compare(numbers(wantedMajor), numbers(runningMajor));
  if (majorCmp > 0) return "major-upgrade";
  if (majorCmp < 0) return "major-downgrade";
  if (wanted === wantedMajor) return "same";
  const cmp = compare(numbers(wanted), numbers(running));
  return cmp > 0 ? "minor-upgrade" : cmp < 0 ? "minor-downgrade" : "same";
}

/**
 * Why the local target refuses a change of PostgreSQL major version (`from` and `to` are the running
 * and the configured versions, e.g. "15.18" and "16.8"; `db` is DB_NAME), and the ways out. A data
 * directory belongs to one major version (https://www.postgresql.org/docs/current/upgrading.html):
 * moving it takes a dump and restore (or pg_upgrade), which the local target does not do by itself.
 */
export function localMajorChangeReason(from: string, to: string, db: string): string {
  const [a, b] = [majorOf("postgres", from), majorOf("postgres", to)];
  const file = `pg${a}.dump`;
  return `The local target does not change PostgreSQL's major version in place (${a} → ${b}): a data directory belongs to one major version. Keep DB_ENGINE_VERSION at ${a} (${from} runs now), or move the data: with DB_ENGINE_VERSION still at ${a}, \`ebdb exec -- pg_dump -Fc -f ${file}\` (here, not in .ebdb, which destroy removes) and \`ebdb destroy --yes\`; then set DB_ENGINE_VERSION=${to}, \`ebdb up\`, and \`ebdb exec -- pg_restore --no-owner -d ${db} ${file}\``;
}
