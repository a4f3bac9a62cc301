import type { Secret } from "./secret.js";

/**
 * The validated, typed configuration: what config.env means, with every default filled in and
 * every derived name computed. Produced by config/load (pure); consumed by model/desired.
 */
export type Engine = "postgres" | "mysql" | "mariadb";
export type StorageType = "gp3" | "gp2" | "io1" | "io2";
export type TargetName = "local" | "aws";
/** Who may reach the database on AWS: a dedicated client security group that ebdb attaches to the
 * EB instances, or the EB instances' own security group. Never an address range. */
export type AccessMode = "client-sg" | "eb-sg";

export interface StorageConfig {
  type: StorageType;
  allocatedGiB: number;
  autoscaling: boolean;
  /** Upper bound for storage autoscaling; null when autoscaling is off. */
  maxAllocatedGiB: number | null;
  /** Provisioned IOPS; null means the storage type's baseline. */
  iops: number | null;
  /** gp3 throughput in MiB/s; null means the baseline. */
  throughputMiBps: number | null;
  encrypted: boolean;
  /** KMS key id/ARN/alias; null means the AWS-managed `aws/rds` key. */
  kmsKeyId: string | null;
}

export interface BackupConfig {
  /** 0 disables automated backups, and with them point-in-time restore and read replicas. */
  retentionDays: number;
  /** `hh:mm-hh:mm`, UTC. */
  window: string;
}

export interface ReplicaConfig {
  enabled: boolean;
  /** Replicas to run now (0 when disabled). */
  count: number;
  min: number;
  max: number;
  targetCpu: number;
  scaleInCooldownSeconds: number;
  scaleOutCooldownSeconds: number;
  /** DB_READ_REPLICA_MAX_LAG_SECONDS: the reader endpoint holds only replicas at most this far behind. */
  maxLagSeconds: number;
  instanceClass: string;
}

export interface Config {
  /** The file this came from (absolute path). */
  file: string;
  appName: string;
  envName: string;
  ebApplication: string;
  ebEnvironment: string;
  /**
   * EB_RDS_PROPERTIES: also give the application RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME
   * and RDS_PASSWORD, the environment properties Elastic Beanstalk sets for a database coupled with
   * `eb create --database`, beside the DB_* names (on EB, and in `env`/`exec` locally).
   */
  ebRdsProperties: boolean;
  region: string;
  /** AWS profile; null means the standard credential chain. */
  profile: string | null;
  engine: Engine;
  engineVersion: string;
  /** Major version line, e.g. "16" for postgres 16.4, "8.0" for mysql 8.0.35. */
  engineMajor: string;
  identifier: string;
  dbName: string;
  masterUsername: string;
  /** null: generate one (model/password.ts) and keep it in the secret store. */
  masterPassword: Secret | null;
  /**
   * Master credentials whose value depends on who runs ebdb: config.env expands in them a `$NAME`
   * (or `~`) that no key above defines, so bash takes it from the caller's environment. A plan that
   * changes the master password says so.
   */
  callerDependent: { masterUsername: boolean; masterPassword: boolean };
  port: number;
  instanceClass: string;
  storage: StorageConfig;
  multiAz: boolean;
  deletionProtection: boolean;
  backup: BackupConfig;
  /** `ddd:hh:mm-ddd:hh:mm`, UTC. */
  maintenanceWindow: string;
  autoMinorVersionUpgrade: boolean;
  performanceInsights: { enabled: boolean; retentionDays: number };
  /** log_min_duration_statement in ms; -1 turns the slow-query log off (applied through ebdb's own group). */
  slowQueryMs: number;
  /**
   * DB_PARAMETER_GROUP_NAME: a DB parameter group of the user's that the instances use as it is; null:
   * ebdb's own (names.parameterGroup), which carries TLS enforcement and slowQueryMs.
   */
  parameterGroupName: string | null;
  /** DB_CLOUDWATCH_LOGS_EXPORTS: the RDS log types published to CloudWatch Logs ([] for `none`). */
  logExports: string[];
  /** DB_ALARMS_ENABLED: ebdb's CloudWatch alarms and their SNS topic (AWS). */
  alarms: boolean;
  alarmEmail: string | null;
  /** A pooler in front of the primary: RDS Proxy on AWS, PgBouncer locally. */
  rdsProxy: boolean;
  /** Server connections per application instance's pool (DB_POOL_SIZE); null: computed (pooling/sizing.ts). */
  poolSize: number | null;
  accessMode: AccessMode;
  replicas: ReplicaConfig;
  /** Derived names. */
  names: {
    secret: string;
    parameterGroup: string;
    subnetGroup: string;
    dbSecurityGroup: string;
    clientSecurityGroup: string;
    snsTopic: string;
    proxy: string;
  };
  local: {
    /** First port for the local primary; replicas and restores take the next free ports. null: choose. */
    port: number | null;
  };
}
