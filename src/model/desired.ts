import { parameterGroupFamily } from "../config/catalog/engines.js";
import { instanceClassInfo, maxConnectionsEstimate } from "../config/catalog/instance-classes.js";
import type { Config, Engine, TargetName } from "./config.js";
import type {
  Desired,
  DesiredAlarm,
  DesiredInstance,
  DesiredParameter,
  EnvSecretValue,
} from "./desired-types.js";

const GIB = 1024 ** 3;

/**
 * The CA ebdb gives every RDS instance, replica and restore: RSA 2048 (every TLS client verifies it;
 * not every one does ECC 384), root valid until 2061 (RDS User Guide, "Using SSL/TLS to encrypt a
 * connection to a DB instance or cluster": certificate authorities).
 */
export const RDS_CA_CERTIFICATE = "rds-ca-rsa2048-g1";

/** RDS identifiers are at most 63 characters (CreateDBInstanceReadReplica, DBInstanceIdentifier). */
const IDENTIFIER_MAX = 63;

/**
 * Name of the n-th read replica (n from 1): `my-app-prod-db-replica-1`. When that would pass RDS's 63
 * characters (an identifier ebdb did not choose, such as the 54 of one Elastic Beanstalk made), the
 * identifier is cut to fit: `awseb-e-abc-stack-awsebrdsdatabase-0123456789a-replica-1`.
 */
export function replicaName(identifier: string, n: number): string {
  const suffix = `-replica-${n}`;
  if (identifier.length + suffix.length <= IDENTIFIER_MAX) return `${identifier}${suffix}`;
  return `${identifier.slice(0, IDENTIFIER_MAX - suffix.length).replace(/-+$/, "")}${suffix}`;
}

/** The n of a name replicaName(identifier, n) gives, or null for a name that is not one of ours. */
export function replicaIndex(identifier: string, name: string): number | null {
  const m = /-replica-([1-9][0-9]*)$/.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return replicaName(identifier, n) === name ? n : null;
}

/** Replicas the configuration runs now: DB_READ_REPLICA_COUNT, or none when replicas are off. */
export function desiredReplicaCount(config: Config): number {
  return config.replicas.enabled ? config.replicas.count : 0;
}

/** Parameter-group family: postgres16, mysql8.0, mariadb10.11. */
export function familyOf(engine: Engine, engineVersion: string, engineMajor: string): string {
  return parameterGroupFamily(engine, engineVersion) ?? `${engine}${engineMajor}`;
}

/**
 * The parameter group's settings. TLS is enforced by the server (rds.force_ssl,
 * require_secure_transport), and slow queries are logged at the configured threshold. On AWS,
 * PostgreSQL's hot_standby_feedback is on (RDS leaves it off), so replicas behave as the local
 * target's, whose replicas have it on in their own configuration: a long read on a replica is not
 * cancelled when the primary vacuums rows it still reads. It is dynamic (PostgreSQL context
 * `sighup`; RDS ApplyType `dynamic`) and the replicas share the primary's parameter group.
 */
export function desiredParameters(
  config: Config,
  target: TargetName = "aws",
): Record<string, DesiredParameter> {
  const now = (value: string): DesiredParameter => ({ value, applyMethod: "immediate" });
  if (config.engine === "postgres") {
    return {
      "rds.force_ssl": now("1"),
      log_min_duration_statement: now(String(config.slowQueryMs)),
      // Static: takes effect at the next reboot.
      shared_preload_libraries: { value: "pg_stat_statements", applyMethod: "pending-reboot" },
      ...(target === "aws" && {
        hot_standby_feedback: {
          ...now("1"),
          why: "replicas tell the primary which rows their reads still need, so vacuum on the primary does not cancel long reads on a replica (as on local replicas); the primary may keep dead rows a little longer",
        },
      }),
    };
  }
  const params: Record<string, DesiredParameter> = {
    require_secure_transport: now("1"),
    slow_query_log: now(config.slowQueryMs < 0 ? "0" : "1"),
    // RDS MySQL/MariaDB default to TABLE; CloudWatch Logs exports read only FILE logs.
    log_output: now("FILE"),
  };
  if (config.slowQueryMs >= 0) params.long_query_time = now(String(config.slowQueryMs / 1000));
  return params;
}

function instance(
  config: Config,
  target: TargetName,
  name: string,
  role: "primary" | "replica",
): DesiredInstance {
  const primary = role === "primary";
  // Locally a null port means "choose a free one"; the configured port is the AWS endpoint's.
  const port = target === "local" ? (config.local.port ?? config.port) : config.port;
  return {
    name,
    role,
    instanceClass: primary ? config.instanceClass : config.replicas.instanceClass,
    engine: config.engine,
    engineVersion: config.engineVersion,
    port,
    storage: { ...config.storage },
    // A replica is a single instance: its source's standby protects the data.
    multiAz: primary ? config.multiAz : false,
    // Replicas take no automated backups of their own; the primary's cover the data.
    backup: primary ? { ...config.backup } : { retentionDays: 0, window: config.backup.window },
    maintenanceWindow: config.maintenanceWindow,
    deletionProtection: primary ? config.deletionProtection : false,
    autoMinorVersionUpgrade: config.autoMinorVersionUpgrade,
    performanceInsights: { ...config.performanceInsights },
    logExports: [...config.logExports],
    parameterGroup: config.parameterGroupName ?? config.names.parameterGroup,
    caCertificateIdentifier: RDS_CA_CERTIFICATE,
    publiclyAccessible: false,
    copyTagsToSnapshot: true,
  };
}

/** The n-th read replica as the configuration wants it (also used by diff for replicas beyond the count). */
export function desiredReplica(config: Config, target: TargetName, n: number): DesiredInstance {
  return { ...instance(config, target, replicaName(config.identifier, n), "replica"), azIndex: n - 1 };
}

/**
 * The alarms: the spec's CPU alarm (above 80% for two 5-minute periods), low free storage (under 10%
 * of the allocated size), connections above 80% of the class's default max_connections, low freeable
 * memory (under 10% of the class's memory), read/write latency above 20 ms for 15 minutes (a gp3 or
 * io1 volume answers in single-digit ms; sustained 20 ms means the volume is saturated) and, per
 * replica, replication lag above 30 s.
 */
export function desiredAlarms(config: Config, replicaNames: readonly string[]): DesiredAlarm[] {
  const id = config.identifier;
  const alarm = (
    suffix: string,
    a: Omit<DesiredAlarm, "name" | "namespace" | "instance" | "periodSeconds"> & { instance?: string },
  ): DesiredAlarm => ({
    name: `${id}-${suffix}`,
    namespace: "AWS/RDS",
    periodSeconds: 300,
    instance: id,
    ...a,
  });
  const info = instanceClassInfo(config.instanceClass);
  const alarms: DesiredAlarm[] = [
    alarm("high-cpu", {
      description: "CPU above 80% for 10 minutes",
      metric: "CPUUtilization",
      statistic: "Average",
      evaluationPeriods: 2,
      threshold: 80,
      comparison: "GreaterThanThreshold",
    }),
    alarm("low-storage", {
      description: `Free storage under 10% of ${config.storage.allocatedGiB} GiB`,
      metric: "FreeStorageSpace",
      statistic: "Minimum",
      evaluationPeriods: 1,
      threshold: Math.round(config.storage.allocatedGiB * GIB * 0.1),
      comparison: "LessThanThreshold",
    }),
  ];
  const maxConnections = maxConnectionsEstimate(config.instanceClass, config.engine);
  if (maxConnections !== null) {
    alarms.push(
      alarm("high-connections", {
        description: `Connections above 80% of ${config.instanceClass}'s default max_connections (about ${maxConnections})`,
        metric: "DatabaseConnections",
        statistic: "Maximum",
        evaluationPeriods: 2,
        threshold: Math.floor(maxConnections * 0.8),
        comparison: "GreaterThanThreshold",
      }),
    );
  }
  if (info) {
    alarms.push(
      alarm("low-memory", {
        description: `Freeable memory under 10% of ${config.instanceClass}'s ${info.memoryGiB} GiB for 15 minutes`,
        metric: "FreeableMemory",
        statistic: "Average",
        evaluationPeriods: 3,
        threshold: Math.round(info.memoryGiB * GIB * 0.1),
        comparison: "LessThanThreshold",
      }),
    );
  }
  for (const [suffix, metric, what] of [
    ["high-read-latency", "ReadLatency", "Read"],
    ["high-write-latency", "WriteLatency", "Write"],
  ] as const) {
    alarms.push(
      alarm(suffix, {
        description: `${what} latency above 20 ms for 15 minutes`,
        metric,
        statistic: "Average",
        evaluationPeriods: 3,
        threshold: 0.02,
        comparison: "GreaterThanThreshold",
      }),
    );
  }
  for (const replica of replicaNames) {
    alarms.push({
      name: `${replica}-lag`,
      description: `Replica ${replica} more than 30 s behind the primary`,
      metric: "ReplicaLag",
      namespace: "AWS/RDS",
      statistic: "Maximum",
      periodSeconds: 300,
      evaluationPeriods: 2,
      threshold: 30,
      comparison: "GreaterThanThreshold",
      instance: replica,
    });
  }
  return alarms;
}

/** The direct connection's names, as ebdb gives them (both targets). */
export const DB_NAMES = [
  "DB_HOST",
  "DB_PORT",
  "DB_NAME",
  "DB_USERNAME",
  "DB_PASSWORD",
  "DATABASE_URL",
] as const;
/** libpq's own connection variables. */
export const LIBPQ_NAMES = [
  "PGHOST",
  "PGPORT",
  "PGDATABASE",
  "PGUSER",
  "PGPASSWORD",
  "PGSSLMODE",
  "PGSSLROOTCERT",
] as const;
/** Heroku-style buildpacks' JDBC names. */
export const JDBC_NAMES = ["JDBC_DATABASE_URL", "JDBC_DATABASE_USERNAME", "JDBC_DATABASE_PASSWORD"] as const;
/** The names EB gives a database it made (coupled). */
export const RDS_NAMES = ["RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME", "RDS_PASSWORD"] as const;
/** The pooled address (RDS Proxy, the local PgBouncer): never for migrations, which hold a session. */
export const POOL_NAMES = ["DB_POOL_HOST", "DB_POOL_PORT", "DATABASE_POOL_URL"] as const;

/**
 * The variables ebdb gives the EB environment, the names `ebdb env` prints: DB_HOST, DB_PORT,
 * DB_NAME, DB_USERNAME, DB_PASSWORD, DATABASE_URL, DB_REPLICA_HOSTS (empty without replicas); with
 * EB_RDS_PROPERTIES the names EB gives a coupled database (RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME,
 * RDS_USERNAME, RDS_PASSWORD: EB Developer Guide, "Connecting to a database from an Elastic Beanstalk
 * environment"); for PostgreSQL libpq's PG* (so psql and psycopg2, hence Django, verify the server
 * with no settings of their own) and the JDBC_DATABASE_* of Heroku-style buildpacks; with
 * DB_RDS_PROXY_ENABLED the pooled address DB_POOL_HOST, DB_POOL_PORT, DATABASE_POOL_URL.
 */
export function ebPropertiesFor(config: Config): string[] {
  const props = [...DB_NAMES, "DB_REPLICA_HOSTS"];
  if (config.ebRdsProperties) props.push(...RDS_NAMES);
  if (config.engine === "postgres") props.push(...LIBPQ_NAMES, ...JDBC_NAMES);
  // The pooler in front of the primary (RDS Proxy on AWS): the application's pooled address.
  if (config.rdsProxy) props.push(...POOL_NAMES);
  // The reader endpoint the read-replica autoscaler keeps (min < max): the ready replicas, one name.
  if (config.replicas.enabled && config.replicas.min < config.replicas.max)
    props.push("DB_READER_HOST", "DB_READER_PORT");
  return props;
}

/**
 * Which of ebdb's EB variables hold a secret, and which secret's value each takes: they are environment
 * secrets, never plain properties.
 */
export function ebSecretsFor(config: Config): Record<string, EnvSecretValue> {
  const names = ebPropertiesFor(config);
  const secrets: Record<string, EnvSecretValue> = {
    DB_PASSWORD: "password",
    RDS_PASSWORD: "password",
    PGPASSWORD: "password",
    JDBC_DATABASE_PASSWORD: "password",
    DATABASE_URL: "url",
    JDBC_DATABASE_URL: "jdbc",
    DATABASE_POOL_URL: "poolUrl",
  };
  return Object.fromEntries(Object.entries(secrets).filter(([n]) => names.includes(n)));
}

/**
 * The whole topology config.env asks for, with every derived name. Pure: the same Config gives the
 * same Desired. The local target uses the instances, replicas, parameters and backups; the AWS-only
 * parts (network, alarms, EB wiring) are here for both so one diff serves both targets.
 */
export function deriveDesired(config: Config, target: TargetName): Desired {
  const replicas = Array.from({ length: desiredReplicaCount(config) }, (_, i) =>
    desiredReplica(config, target, i + 1),
  );
  return {
    target,
    config,
    identifier: config.identifier,
    primary: instance(config, target, config.identifier, "primary"),
    replicas,
    parameterGroup: {
      name: config.parameterGroupName ?? config.names.parameterGroup,
      // Locally the servers' settings are always ebdb's: a group of the user's exists only on AWS.
      managed: config.parameterGroupName === null || target === "local",
      family: familyOf(config.engine, config.engineVersion, config.engineMajor),
      parameters: desiredParameters(config, target),
    },
    secret: {
      name: config.names.secret,
      generate: config.masterPassword === null,
      variables: {
        password: `${config.appName}/${config.envName}/eb/DB_PASSWORD`,
        url: `${config.appName}/${config.envName}/eb/DATABASE_URL`,
        jdbc: `${config.appName}/${config.envName}/eb/JDBC_DATABASE_URL`,
        poolUrl: `${config.appName}/${config.envName}/eb/DATABASE_POOL_URL`,
      },
    },
    network: {
      subnetGroup: config.names.subnetGroup,
      dbSecurityGroup: config.names.dbSecurityGroup,
      clientSecurityGroup: config.accessMode === "client-sg" ? config.names.clientSecurityGroup : null,
      accessMode: config.accessMode,
    },
    monitoring: {
      enabled: config.alarms,
      topic: config.names.snsTopic,
      email: config.alarmEmail,
      alarms: config.alarms
        ? desiredAlarms(
            config,
            replicas.map((r) => r.name),
          )
        : [],
    },
    eb: {
      application: config.ebApplication,
      environment: config.ebEnvironment,
      properties: ebPropertiesFor(config),
      secrets: ebSecretsFor(config),
    },
    proxy: config.rdsProxy ? { name: config.names.proxy } : null,
    tags: { "ebdb:app": config.appName, "ebdb:env": config.envName, "ebdb:managed": "true" },
  };
}
