/**
 * What the fake's RDS offers: engines with their versions and parameter-group families, instance
 * classes, and a small but realistic catalogue of parameters per engine.
 */

export interface EngineInfo {
  port: number;
  versions: string[];
  /** Parameter-group family of a version, e.g. postgres16, mysql8.0, mariadb10.11. */
  family(version: string): string;
  passwordMax: number;
  /**
   * DescribeDBEngineVersions' SupportsCertificateRotationWithoutRestart: a new CA reaches the server
   * without a restart. A sample: every PostgreSQL version here does; the MySQL and MariaDB ones do not.
   */
  rotatesCertificateWithoutRestart(version: string): boolean;
}

const major = (v: string, parts: number) => v.split(".").slice(0, parts).join(".");

export const ENGINES: Record<string, EngineInfo> = {
  postgres: {
    port: 5432,
    versions: [
      "13.18",
      "13.20",
      "13.21",
      "14.15",
      "14.17",
      "14.18",
      "15.10",
      "15.12",
      "15.13",
      "16.6",
      "16.8",
      "16.9",
      "17.2",
      "17.4",
      "17.5",
    ],
    family: (v) => `postgres${major(v, 1)}`,
    passwordMax: 128,
    rotatesCertificateWithoutRestart: () => true,
  },
  mysql: {
    port: 3306,
    versions: ["8.0.39", "8.0.40", "8.0.41", "8.0.42", "8.4.3", "8.4.4", "8.4.5"],
    family: (v) => `mysql${major(v, 2)}`,
    passwordMax: 41,
    rotatesCertificateWithoutRestart: () => false,
  },
  mariadb: {
    port: 3306,
    versions: ["10.6.20", "10.6.21", "10.11.10", "10.11.11", "11.4.4", "11.4.5"],
    family: (v) => `mariadb${major(v, 2)}`,
    passwordMax: 41,
    rotatesCertificateWithoutRestart: () => false,
  },
};

/** The engine's version for a requested one: exact, or the latest of a major line ("16", "8.0"). */
export function resolveVersion(engine: string, requested: string | undefined): string | undefined {
  const info = ENGINES[engine];
  if (!info) return undefined;
  if (!requested) return info.versions[info.versions.length - 1];
  if (info.versions.includes(requested)) return requested;
  const line = info.versions.filter((v) => v.startsWith(`${requested}.`));
  if (line.length > 0) return line[line.length - 1];
  // A patch newer than the catalogue's on a known line is accepted: the catalogue cannot track AWS.
  const parts = engine === "postgres" ? 1 : 2;
  const known = info.versions.filter((v) => major(v, parts) === major(requested, parts));
  if (known.length > 0 && /^\d+(\.\d+){1,2}$/.test(requested)) return requested;
  return undefined;
}

export const FAMILIES: string[] = [
  ...new Set(Object.values(ENGINES).flatMap((e) => e.versions.map((v) => e.family(v)))),
];

export function engineOfFamily(family: string): string | undefined {
  return Object.keys(ENGINES).find((e) => family.startsWith(e));
}

const SIZES: Record<string, string[]> = {
  t3: ["micro", "small", "medium", "large", "xlarge", "2xlarge"],
  t4g: ["micro", "small", "medium", "large", "xlarge", "2xlarge"],
  m5: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"],
  m6g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
  m6i: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"],
  m7g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
  m7i: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"],
  r5: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"],
  r6g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
  r6i: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"],
  r7g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
  r7i: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"],
};

export const INSTANCE_CLASSES: string[] = Object.entries(SIZES).flatMap(([f, sizes]) =>
  sizes.map((s) => `db.${f}.${s}`),
);

/** RDS for MySQL and MariaDB offers no Performance Insights on micro and small burstable classes. */
export function supportsPerformanceInsights(engine: string, cls: string): boolean {
  return engine === "postgres" || !/^db\.t[34]g?\.(micro|small)$/.test(cls);
}

export interface ParamDef {
  name: string;
  apply: "static" | "dynamic";
  dataType: "integer" | "boolean" | "string" | "list" | "float";
  allowed: string;
  /** Default value; undefined: engine default not set (as RDS shows for many). */
  default: string | undefined;
  modifiable: boolean;
  description: string;
}

const pgParams: ParamDef[] = [
  p("rds.force_ssl", "dynamic", "boolean", "0,1", "1", "Force SSL connections."),
  p(
    "log_min_duration_statement",
    "dynamic",
    "integer",
    "-1-2147483647",
    undefined,
    "Minimum statement duration to log (ms).",
  ),
  p(
    "shared_preload_libraries",
    "static",
    "list",
    "auto_explain,orafce,pgaudit,pglogical,pg_bigm,pg_cron,pg_hint_plan,pg_prewarm,pg_similarity,pg_stat_statements,pg_tle,pg_partman_bgw,plprofiler,pg_transport,pg_squeeze",
    "pg_stat_statements",
    "Libraries to preload into the server.",
  ),
  p(
    "max_connections",
    "static",
    "integer",
    "6-262143",
    "LEAST({DBInstanceClassMemory/9531392},5000)",
    "Maximum number of concurrent connections.",
  ),
  // PostgreSQL context sighup, so RDS applies it without a reboot; RDS leaves it at the engine default (off).
  p(
    "hot_standby_feedback",
    "dynamic",
    "boolean",
    "0,1",
    undefined,
    "Allows feedback from a hot standby to the primary that will avoid query conflicts.",
  ),
  p("log_statement", "dynamic", "string", "none,ddl,mod,all", undefined, "Type of statements logged."),
  p(
    "work_mem",
    "dynamic",
    "integer",
    "64-2147483647",
    undefined,
    "Memory for internal sort operations (kB).",
  ),
  p(
    "track_io_timing",
    "dynamic",
    "boolean",
    "0,1",
    "1",
    "Collects timing statistics for database I/O activity.",
  ),
  p(
    "pg_stat_statements.track",
    "dynamic",
    "string",
    "all,none,top",
    undefined,
    "Which statements are tracked.",
  ),
  p(
    "idle_in_transaction_session_timeout",
    "dynamic",
    "integer",
    "0-2147483647",
    "86400000",
    "Idle-in-transaction timeout (ms).",
  ),
  p("statement_timeout", "dynamic", "integer", "0-2147483647", undefined, "Maximum statement duration (ms)."),
  p("rds.logical_replication", "static", "boolean", "0,1", "0", "Enables logical decoding."),
  p("timezone", "dynamic", "string", "", "UTC", "Time zone for timestamps."),
  {
    ...p("rds.extensions", "static", "list", "", "pg_stat_statements", "Extensions available."),
    modifiable: false,
  },
];

const mysqlParams: ParamDef[] = [
  p("require_secure_transport", "dynamic", "boolean", "0,1", "0", "Require TLS for client connections."),
  p("slow_query_log", "dynamic", "boolean", "0,1", "0", "Enables the slow query log."),
  p("long_query_time", "dynamic", "float", "0-31536000", "10", "Seconds after which a query is slow."),
  p(
    "max_connections",
    "dynamic",
    "integer",
    "1-100000",
    "{DBInstanceClassMemory/12582880}",
    "Maximum connections.",
  ),
  p("log_output", "dynamic", "string", "TABLE,FILE,NONE", "TABLE", "Where logs are written."),
  p("performance_schema", "static", "boolean", "0,1", "0", "Enables the Performance Schema."),
  p(
    "innodb_buffer_pool_size",
    "static",
    "integer",
    "5242880-18446744073709551615",
    "{DBInstanceClassMemory*3/4}",
    "InnoDB buffer pool size.",
  ),
  p("general_log", "dynamic", "boolean", "0,1", "0", "Enables the general query log."),
  p("time_zone", "dynamic", "string", "", undefined, "Server time zone."),
  { ...p("basedir", "static", "string", "", "/rdsdbbin/mysql", "Install directory."), modifiable: false },
];

function p(
  name: string,
  apply: ParamDef["apply"],
  dataType: ParamDef["dataType"],
  allowed: string,
  def: string | undefined,
  description: string,
): ParamDef {
  return { name, apply, dataType, allowed, default: def, modifiable: true, description };
}

export function parametersOf(family: string): ParamDef[] {
  return family.startsWith("postgres") ? pgParams : mysqlParams;
}

/** Whether `value` fits the parameter's AllowedValues (ranges `a-b` or a comma list). */
export function allowedValue(def: ParamDef, value: string): boolean {
  if (!def.allowed || /^\{.*\}$/.test(value)) return true;
  const range = /^(-?\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(def.allowed);
  if (range) {
    const n = Number(value);
    return value.trim() !== "" && Number.isFinite(n) && n >= Number(range[1]) && n <= Number(range[2]);
  }
  const options = def.allowed.split(",");
  if (def.dataType === "list") return value.split(",").every((v) => options.includes(v.trim()));
  return options.includes(value);
}
