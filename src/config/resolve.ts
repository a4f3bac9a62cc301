import type { AccessMode, Config, Engine, StorageType } from "../model/config.js";
import { hasErrors, type Problem } from "../model/problem.js";
import { Secret } from "../model/secret.js";
import { checkEngineVersion } from "./catalog/engines.js";
import { insightsUnsupported } from "./catalog/instance-classes.js";
import { parseLogExports } from "./catalog/log-exports.js";
import { dependsOnCaller } from "./rules-caller-env.js";
import type { Values } from "./rules-context.js";
import { lastEntries } from "./rules-values.js";
import { checkRules, sortProblems } from "./rules.js";
import type { EnvEntry } from "./types.js";

/**
 * The pure core: config.env's assignments (as parsed) to the typed Config, with every default and
 * derived name filled in, and every problem found. `config` is null when there is an error.
 * Only the file configures ebdb: `env` is not consulted (a key set only in the process
 * environment is ignored); it is accepted so callers need not care.
 */
export function resolveConfig(
  file: string,
  entries: readonly EnvEntry[],
  _env?: Readonly<Record<string, string | undefined>>,
): { config: Config | null; problems: Problem[] } {
  const { values, problems } = checkRules(file, entries);
  const sorted = sortProblems(problems);
  return { config: hasErrors(sorted) ? null : buildConfig(file, values, entries), problems: sorted };
}

/** Assembles the Config from values that passed every rule. */
function buildConfig(file: string, v: Values, entries: readonly EnvEntry[]): Config {
  const last = lastEntries(entries);
  const s = (k: Parameters<Values["str"]>[0]) => v.str(k)!;
  const n = (k: Parameters<Values["int"]>[0]) => v.int(k)!;
  const b = (k: Parameters<Values["bool"]>[0]) => v.bool(k)!;
  const engine = s("DB_ENGINE") as Engine;
  const engineVersion = s("DB_ENGINE_VERSION");
  const version = checkEngineVersion(engine, engineVersion);
  if (!version.ok) throw new Error("bug: an engine version that failed its rule reached buildConfig");
  const appName = s("APP_NAME");
  const envName = s("ENV_NAME");
  const identifier = s("DB_INSTANCE_IDENTIFIER");
  const instanceClass = s("DB_INSTANCE_CLASS");
  const password = v.optStr("DB_MASTER_PASSWORD");
  const autoscaling = b("DB_STORAGE_AUTOSCALING_ENABLED");
  const encrypted = b("DB_STORAGE_ENCRYPTED");
  const replicasOn = b("DB_READ_REPLICA_ENABLED");
  return {
    file,
    appName,
    envName,
    ebApplication: s("EB_APPLICATION_NAME"),
    ebEnvironment: s("EB_ENVIRONMENT_NAME"),
    ebRdsProperties: b("EB_RDS_PROPERTIES"),
    region: s("AWS_REGION"),
    profile: v.optStr("AWS_PROFILE") ?? null,
    engine,
    engineVersion,
    engineMajor: version.line.major,
    identifier,
    dbName: s("DB_NAME"),
    masterUsername: s("DB_MASTER_USERNAME"),
    masterPassword: password ? new Secret(password) : null,
    callerDependent: {
      masterUsername: dependsOnCaller(last.get("DB_MASTER_USERNAME")),
      masterPassword: password ? dependsOnCaller(last.get("DB_MASTER_PASSWORD")) : false,
    },
    port: n("DB_PORT"),
    instanceClass,
    storage: {
      type: s("DB_STORAGE_TYPE") as StorageType,
      allocatedGiB: n("DB_ALLOCATED_STORAGE"),
      autoscaling,
      maxAllocatedGiB: autoscaling ? n("DB_MAX_ALLOCATED_STORAGE") : null,
      iops: v.optInt("DB_IOPS") ?? null,
      throughputMiBps: v.optInt("DB_STORAGE_THROUGHPUT") ?? null,
      encrypted,
      kmsKeyId: encrypted ? (v.optStr("DB_KMS_KEY_ID") ?? null) : null,
    },
    multiAz: b("DB_MULTI_AZ"),
    deletionProtection: b("DB_DELETION_PROTECTION"),
    backup: { retentionDays: n("DB_BACKUP_RETENTION_DAYS"), window: s("DB_BACKUP_WINDOW") },
    maintenanceWindow: s("DB_MAINTENANCE_WINDOW"),
    autoMinorVersionUpgrade: b("DB_AUTO_MINOR_VERSION_UPGRADE"),
    performanceInsights: {
      enabled: b("DB_PERFORMANCE_INSIGHTS_ENABLED") && !insightsUnsupported(instanceClass, engine),
      retentionDays: n("DB_PERFORMANCE_INSIGHTS_RETENTION"),
    },
    slowQueryMs: n("DB_SLOW_QUERY_MS"),
    parameterGroupName: v.optStr("DB_PARAMETER_GROUP_NAME") ?? null,
    logExports: parseLogExports(v.optStr("DB_CLOUDWATCH_LOGS_EXPORTS") ?? undefined, engine),
    alarms: b("DB_ALARMS_ENABLED"),
    alarmEmail: v.optStr("DB_ALARM_EMAIL") ?? null,
    rdsProxy: b("DB_RDS_PROXY_ENABLED"),
    poolSize: v.optInt("DB_POOL_SIZE") ?? null,
    accessMode: s("DB_ACCESS_MODE") as AccessMode,
    replicas: {
      enabled: replicasOn,
      count: replicasOn ? n("DB_READ_REPLICA_COUNT") : 0,
      min: n("DB_READ_REPLICA_MIN_CAPACITY"),
      max: n("DB_READ_REPLICA_MAX_CAPACITY"),
      targetCpu: n("DB_READ_REPLICA_TARGET_CPU"),
      scaleInCooldownSeconds: n("DB_READ_REPLICA_SCALE_IN_COOLDOWN"),
      scaleOutCooldownSeconds: n("DB_READ_REPLICA_SCALE_OUT_COOLDOWN"),
      maxLagSeconds: n("DB_READ_REPLICA_MAX_LAG_SECONDS"),
      instanceClass: s("DB_READ_REPLICA_INSTANCE_CLASS"),
    },
    names: {
      secret: `${appName}/${envName}/db-password`,
      // Parameter group names take letters, digits and hyphens only: mysql8.0 -> mysql8-0.
      parameterGroup: `${identifier}-${version.line.family.replace(/\./g, "-")}`,
      // RDS keeps subnet group names in lower case.
      subnetGroup: (v.optStr("DB_SUBNET_GROUP_NAME") ?? `${identifier}-subnets`).toLowerCase(),
      dbSecurityGroup: v.optStr("DB_SECURITY_GROUP_NAME") ?? `${identifier}-sg`,
      clientSecurityGroup: `${identifier}-client-sg`,
      snsTopic: `${identifier}-alarms`,
      // An RDS Proxy name is an RDS identifier (at most 63 characters): a long identifier is cut to fit.
      proxy: `${identifier.slice(0, 57).replace(/-+$/, "")}-proxy`,
    },
    local: { port: v.optInt("DB_LOCAL_PORT") ?? null },
  };
}
