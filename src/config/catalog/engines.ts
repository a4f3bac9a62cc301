import type { Engine } from "../../model/config.js";

/**
 * Engines and the version lines RDS offers, with each line's parameter-group family. A minor
 * version newer than `latestMinor` is accepted with a warning (the catalog may be older than RDS);
 * one below `firstMinor` never existed on RDS and is an error.
 */
export interface MajorLine {
  /** "16" for PostgreSQL, "8.0" for MySQL, "10.11" for MariaDB. */
  major: string;
  /** Parameter-group family, e.g. postgres16, mysql8.0, mariadb10.11. */
  family: string;
  firstMinor: number;
  latestMinor: number;
  /** Past RDS standard support: runs only under (paid) RDS Extended Support, or not at all. */
  extendedSupport?: boolean;
}

export interface EngineInfo {
  engine: Engine;
  label: string;
  defaultPort: number;
  defaultVersion: string;
  lines: readonly MajorLine[];
}

const pg = (
  major: number,
  firstMinor: number,
  latestMinor: number,
  extendedSupport?: boolean,
): MajorLine => ({
  major: String(major),
  family: `postgres${major}`,
  firstMinor,
  latestMinor,
  extendedSupport,
});

const my = (
  engine: "mysql" | "mariadb",
  major: string,
  firstMinor: number,
  latestMinor: number,
  extendedSupport?: boolean,
): MajorLine => ({ major, family: `${engine}${major}`, firstMinor, latestMinor, extendedSupport });

export const ENGINES: Readonly<Record<Engine, EngineInfo>> = {
  postgres: {
    engine: "postgres",
    label: "PostgreSQL",
    defaultPort: 5432,
    defaultVersion: "16.8",
    lines: [
      pg(11, 1, 22, true),
      pg(12, 2, 22, true),
      pg(13, 1, 23, true),
      pg(14, 1, 23),
      pg(15, 2, 18),
      pg(16, 1, 14),
      pg(17, 1, 10),
      pg(18, 1, 4),
    ],
  },
  mysql: {
    engine: "mysql",
    label: "MySQL",
    defaultPort: 3306,
    defaultVersion: "8.4.5",
    lines: [my("mysql", "5.7", 16, 44, true), my("mysql", "8.0", 11, 45), my("mysql", "8.4", 3, 8)],
  },
  mariadb: {
    engine: "mariadb",
    label: "MariaDB",
    defaultPort: 3306,
    defaultVersion: "10.11.11",
    lines: [
      my("mariadb", "10.4", 8, 34, true),
      my("mariadb", "10.5", 8, 29),
      my("mariadb", "10.6", 5, 24),
      my("mariadb", "10.11", 4, 15),
      my("mariadb", "11.4", 3, 9),
      my("mariadb", "11.8", 3, 5),
    ],
  },
};

export const ENGINE_NAMES: readonly Engine[] = ["postgres", "mysql", "mariadb"];

export type VersionCheck =
  | { ok: true; line: MajorLine; minor: number | null; beyondCatalog: boolean }
  | { ok: false; reason: "format" | "major" | "minor"; line?: MajorLine };

/**
 * Splits a version into its major line and minor. PostgreSQL: `16` or `16.4`; MySQL and MariaDB:
 * `8.0` or `8.0.35`. A bare major line lets RDS pick that line's default minor.
 */
export function checkEngineVersion(engine: Engine, version: string): VersionCheck {
  const m =
    engine === "postgres" ? /^(\d+)(?:\.(\d+))?$/.exec(version) : /^(\d+\.\d+)(?:\.(\d+))?$/.exec(version);
  if (!m) return { ok: false, reason: "format" };
  const line = ENGINES[engine].lines.find((l) => l.major === m[1]);
  if (!line) return { ok: false, reason: "major" };
  if (m[2] === undefined) return { ok: true, line, minor: null, beyondCatalog: false };
  if (m[2].length > 1 && m[2].startsWith("0")) return { ok: false, reason: "format" };
  const minor = Number(m[2]);
  if (minor < line.firstMinor) return { ok: false, reason: "minor", line };
  return { ok: true, line, minor, beyondCatalog: minor > line.latestMinor };
}

/** The parameter-group family of a version (e.g. postgres16), or null when the version is not known. */
export function parameterGroupFamily(engine: Engine, version: string): string | null {
  const c = checkEngineVersion(engine, version);
  return c.ok ? c.line.family : null;
}

/** The major lines of an engine, newest last, for messages: "11, 12, ..., 18". */
export function majorLines(engine: Engine): string {
  return ENGINES[engine].lines.map((l) => l.major).join(", ");
}
