import { ENGINES } from "./catalog/engines.js";
import { GENERATED_PASSWORD_LENGTH } from "../model/password.js";

/**
 * Every key config.env may set: its default, a one-line description, its type and its section.
 * Plain data (no schema library) so `ebdb validate` starts fast; the rules live in rules*.ts.
 * The README's configuration reference and the file `ebdb init` writes are generated from this.
 */
export type Section =
  | "Application"
  | "AWS"
  | "Engine and database"
  | "Instance"
  | "Storage"
  | "Backups and maintenance"
  | "Read replicas"
  | "Monitoring"
  | "Access and pooling"
  | "Local target";

export const SECTIONS: readonly Section[] = [
  "Application",
  "AWS",
  "Engine and database",
  "Instance",
  "Storage",
  "Backups and maintenance",
  "Read replicas",
  "Monitoring",
  "Access and pooling",
  "Local target",
];

export interface KeyDef {
  readonly key: string;
  readonly section: Section;
  readonly type: "string" | "integer" | "boolean" | "enum";
  /** The default as config.env would write it; null when it is derived from other keys (see defaultDoc). */
  readonly default: string | null;
  /** How the default reads in the reference when it is not a literal, e.g. `${APP_NAME}-${ENV_NAME}-db`. */
  readonly defaultDoc?: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for the reference when more than min-max or choices. */
  readonly allowed?: string;
  /** An empty value means "the default" (or "none") rather than being an error. */
  readonly emptyOk?: boolean;
  /** Never shown: not in messages, not in `ebdb config` unless --show-secrets. */
  readonly secret?: boolean;
}

const BOOL = ["true", "false"] as const;

export const KEYS = [
  // Application
  {
    key: "APP_NAME",
    section: "Application",
    type: "string",
    default: null,
    defaultDoc: "the config file's folder name, in lower case",
    allowed: "lower-case letters, digits, hyphens; a letter first",
    description: "Application name: the start of every name ebdb derives (identifier, secret, groups).",
    emptyOk: true,
  },
  {
    key: "ENV_NAME",
    section: "Application",
    type: "string",
    default: "prod",
    allowed: "lower-case letters, digits, hyphens; a letter first",
    description: "Environment name (prod, staging, ...): the second part of every derived name.",
  },
  {
    key: "EB_APPLICATION_NAME",
    section: "Application",
    type: "string",
    default: null,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    defaultDoc: "`${APP_NAME}`",
    allowed: "1-100 characters, no `/`",
    description: "The Elastic Beanstalk application that uses the database.",
    emptyOk: true,
  },
  {
    key: "EB_ENVIRONMENT_NAME",
    section: "Application",
    type: "string",
    default: null,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    defaultDoc: "`${APP_NAME}-${ENV_NAME}`",
    allowed: "4-40 letters, digits, hyphens; no hyphen first or last",
    description: "The Elastic Beanstalk environment whose instances reach the database and get its settings.",
    emptyOk: true,
  },
  {
    key: "EB_RDS_PROPERTIES",
    section: "Application",
    type: "boolean",
    default: "false",
    choices: BOOL,
    description:
      "Also give the application RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME and RDS_PASSWORD (the names EB sets for a database made with `eb create --database`), beside DB_*: on EB, and in `ebdb env` and `ebdb exec`.",
  },
  // AWS
  {
    key: "AWS_REGION",
    section: "AWS",
    type: "string",
    default: "us-east-1",
    allowed: "a region name, e.g. eu-west-1",
    description: "AWS region of the database and the EB environment (`--region` overrides it).",
  },
  {
    key: "AWS_PROFILE",
    section: "AWS",
    type: "string",
    default: "",
    defaultDoc: "empty: the standard credential chain",
    description: "AWS CLI profile to use (`--profile` overrides it).",
    emptyOk: true,
  },
  // Engine and database
  {
    key: "DB_ENGINE",
    section: "Engine and database",
    type: "enum",
    default: "postgres",
    choices: ["postgres", "mysql", "mariadb"],
    description: "Database engine.",
  },
  {
    key: "DB_ENGINE_VERSION",
    section: "Engine and database",
    type: "string",
    default: null,
    defaultDoc: `${ENGINES.postgres.defaultVersion} (postgres), ${ENGINES.mysql.defaultVersion} (mysql), ${ENGINES.mariadb.defaultVersion} (mariadb)`,
    allowed: "a version RDS offers: `16`, `16.4`; `8.0`, `8.0.35`",
    description: "Engine version; a bare major line (`16`, `8.0`) lets RDS choose its default minor.",
    emptyOk: true,
  },
  {
    key: "DB_INSTANCE_IDENTIFIER",
    section: "Engine and database",
    type: "string",
    default: null,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    defaultDoc: "`${APP_NAME}-${ENV_NAME}-db`",
    allowed:
      "1-63 lower-case letters, digits, hyphens (at most 52 leave room for full replica names); a letter first; no `--`, no hyphen last",
    description: "RDS instance identifier; replicas are named `<identifier>-replica-<n>`.",
    emptyOk: true,
  },
  {
    key: "DB_NAME",
    section: "Engine and database",
    type: "string",
    default: "app",
    allowed: "letters, digits, underscores; a letter first; 1-63 (1-64 MySQL/MariaDB); no reserved word",
    description: "Name of the database created in the instance.",
  },
  {
    key: "DB_MASTER_USERNAME",
    section: "Engine and database",
    type: "string",
    default: "dbadmin",
    allowed: "letters, digits, underscores; a letter first; 1-63 (1-32 MySQL/MariaDB); no reserved word",
    description: "Master user name.",
  },
  {
    key: "DB_MASTER_PASSWORD",
    section: "Engine and database",
    type: "string",
    default: "",
    defaultDoc: `empty: generated (${GENERATED_PASSWORD_LENGTH} letters, digits and \`-_.~\`) and kept in Secrets Manager (locally, a 0600 file)`,
    allowed: '8-128 printable ASCII characters (8-41 MySQL/MariaDB), none of `/` `"` `@` or space',
    description: "Master password; never shown in messages, nor by `ebdb config` without --show-secrets.",
    emptyOk: true,
    secret: true,
  },
  {
    key: "DB_PORT",
    section: "Engine and database",
    type: "integer",
    default: null,
    defaultDoc: `${ENGINES.postgres.defaultPort} (postgres), ${ENGINES.mysql.defaultPort} (mysql, mariadb)`,
    min: 1150,
    max: 65535,
    description: "Port the database listens on (RDS allows 1150-65535).",
    emptyOk: true,
  },
  {
    key: "DB_PARAMETER_GROUP_NAME",
    section: "Engine and database",
    type: "string",
    default: "",
    defaultDoc:
      "empty: ebdb's own, `${DB_INSTANCE_IDENTIFIER}-<family>` (TLS enforced, slow statements logged, pg_stat_statements)",
    allowed: "an existing DB parameter group of the engine's family, e.g. default.postgres16",
    description:
      "A DB parameter group of your own for the instance and its replicas (AWS): ebdb attaches it and leaves its parameters to you, so TLS enforcement and the slow-query log are the group's (`ebdb adopt` keeps the one the instance has).",
    emptyOk: true,
  },
  // Instance
  {
    key: "DB_INSTANCE_CLASS",
    section: "Instance",
    type: "string",
    default: "db.t3.micro",
    allowed: "`db.<family>.<size>`, e.g. db.t3.small, db.m5.large, db.r5.2xlarge",
    description: "Instance class of the primary (vCPU and memory).",
  },
  {
    key: "DB_MULTI_AZ",
    section: "Instance",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description: "Keep a synchronous standby in another Availability Zone (automatic failover).",
  },
  {
    key: "DB_DELETION_PROTECTION",
    section: "Instance",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description: "Refuse to delete the instance until this is turned off.",
  },
  // Storage
  {
    key: "DB_STORAGE_TYPE",
    section: "Storage",
    type: "enum",
    default: "gp3",
    choices: ["gp3", "gp2", "io1", "io2"],
    description: "Storage type: gp3 (recommended), gp2, or provisioned IOPS io1/io2.",
  },
  {
    key: "DB_ALLOCATED_STORAGE",
    section: "Storage",
    type: "integer",
    default: "20",
    min: 20,
    max: 65536,
    allowed: "20-65536 GiB (100-65536 for io1/io2)",
    description: "Starting storage in GiB.",
  },
  {
    key: "DB_STORAGE_AUTOSCALING_ENABLED",
    section: "Storage",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description: "Grow storage automatically when free space runs low.",
  },
  {
    key: "DB_MAX_ALLOCATED_STORAGE",
    section: "Storage",
    type: "integer",
    default: "100",
    min: 20,
    max: 65536,
    allowed: "at least 110% of DB_ALLOCATED_STORAGE, at most 65536 GiB",
    description: "Upper limit in GiB for storage autoscaling.",
  },
  {
    key: "DB_IOPS",
    section: "Storage",
    type: "integer",
    default: "",
    defaultDoc: "empty: the storage type's baseline",
    allowed: "gp3 from 400 GiB: 12000-64000; io1/io2: 1000-256000 (io1 0.5-50 per GiB)",
    description: "Provisioned IOPS (gp3 from 400 GiB, io1, io2).",
    emptyOk: true,
  },
  {
    key: "DB_STORAGE_THROUGHPUT",
    section: "Storage",
    type: "integer",
    default: "",
    defaultDoc: "empty: the baseline",
    allowed: "gp3 from 400 GiB: 500-4000 MiB/s, at most 0.25 × IOPS",
    description: "gp3 storage throughput in MiB/s.",
    emptyOk: true,
  },
  {
    key: "DB_STORAGE_ENCRYPTED",
    section: "Storage",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description: "Encrypt storage, backups and replicas at rest with KMS.",
  },
  {
    key: "DB_KMS_KEY_ID",
    section: "Storage",
    type: "string",
    default: "",
    defaultDoc: "empty: the AWS-managed key `aws/rds`",
    allowed: "a key id, key ARN, `alias/<name>` or alias ARN",
    description: "KMS key for storage encryption.",
    emptyOk: true,
  },
  // Backups and maintenance
  {
    key: "DB_BACKUP_RETENTION_DAYS",
    section: "Backups and maintenance",
    type: "integer",
    default: "7",
    min: 0,
    max: 35,
    description: "Days of automated backups; 0 turns off backups, point-in-time restore and read replicas.",
  },
  {
    key: "DB_BACKUP_WINDOW",
    section: "Backups and maintenance",
    type: "string",
    default: "03:00-04:00",
    allowed: "`hh:mm-hh:mm` UTC, at least 30 minutes, not overlapping the maintenance window",
    description: "Daily backup window (UTC).",
  },
  {
    key: "DB_MAINTENANCE_WINDOW",
    section: "Backups and maintenance",
    type: "string",
    default: "sun:04:30-sun:05:30",
    allowed: "`ddd:hh:mm-ddd:hh:mm` UTC (mon-sun), at least 30 minutes",
    description: "Weekly maintenance window (UTC) for upgrades and deferred changes.",
  },
  {
    key: "DB_AUTO_MINOR_VERSION_UPGRADE",
    section: "Backups and maintenance",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description: "Apply minor engine upgrades in the maintenance window.",
  },
  // Read replicas
  {
    key: "DB_READ_REPLICA_ENABLED",
    section: "Read replicas",
    type: "boolean",
    default: "false",
    choices: BOOL,
    description: "Run read replicas (with autoscaling between the minimum and maximum).",
  },
  {
    key: "DB_READ_REPLICA_COUNT",
    section: "Read replicas",
    type: "integer",
    default: "1",
    min: 0,
    max: 15,
    description: "Initial number of replicas (none while DB_READ_REPLICA_ENABLED is false).",
  },
  {
    key: "DB_READ_REPLICA_MIN_CAPACITY",
    section: "Read replicas",
    type: "integer",
    default: "1",
    min: 0,
    max: 15,
    description: "Fewest replicas autoscaling keeps (scale-in limit).",
  },
  {
    key: "DB_READ_REPLICA_MAX_CAPACITY",
    section: "Read replicas",
    type: "integer",
    default: "3",
    min: 0,
    max: 15,
    description: "Most replicas autoscaling adds (scale-out limit).",
  },
  {
    key: "DB_READ_REPLICA_TARGET_CPU",
    section: "Read replicas",
    type: "integer",
    default: "70",
    min: 1,
    max: 100,
    description: "Average replica CPU % that autoscaling aims for.",
  },
  {
    key: "DB_READ_REPLICA_SCALE_IN_COOLDOWN",
    section: "Read replicas",
    type: "integer",
    default: "300",
    min: 0,
    description: "Seconds to wait after a scaling action before removing a replica.",
  },
  {
    key: "DB_READ_REPLICA_SCALE_OUT_COOLDOWN",
    section: "Read replicas",
    type: "integer",
    default: "60",
    min: 0,
    description: "Seconds to wait after a scaling action before adding a replica.",
  },
  {
    key: "DB_READ_REPLICA_MAX_LAG_SECONDS",
    section: "Read replicas",
    type: "integer",
    default: "10",
    min: 0,
    max: 86400,
    description:
      "Replication lag (seconds) above which a replica leaves the reader endpoint (DB_READER_HOST) until it catches up.",
  },
  {
    key: "DB_READ_REPLICA_INSTANCE_CLASS",
    section: "Read replicas",
    type: "string",
    default: null,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    defaultDoc: "`${DB_INSTANCE_CLASS}`",
    allowed: "as DB_INSTANCE_CLASS",
    description: "Instance class of each replica.",
    emptyOk: true,
  },
  // Monitoring
  {
    key: "DB_PERFORMANCE_INSIGHTS_ENABLED",
    section: "Monitoring",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description: "Turn on Performance Insights.",
  },
  {
    key: "DB_PERFORMANCE_INSIGHTS_RETENTION",
    section: "Monitoring",
    type: "integer",
    default: "7",
    min: 7,
    max: 731,
    allowed: "7 (free), 31 × months (31-713), or 731",
    description: "Days of Performance Insights history.",
  },
  {
    key: "DB_SLOW_QUERY_MS",
    section: "Monitoring",
    type: "integer",
    default: "1000",
    min: -1,
    max: 2147483647,
    allowed: "-1 (off), 0 (every statement) or more",
    description: "Log statements slower than this many milliseconds (log_min_duration_statement).",
  },
  {
    key: "DB_ALARM_EMAIL",
    section: "Monitoring",
    type: "string",
    default: "",
    defaultDoc: "empty: alarms without e-mail",
    allowed: "an e-mail address",
    description: "Address subscribed to the alarms' SNS topic.",
    emptyOk: true,
  },
  {
    key: "DB_ALARMS_ENABLED",
    section: "Monitoring",
    type: "boolean",
    default: "true",
    choices: BOOL,
    description:
      "CloudWatch alarms on CPU, free storage, connections, memory, latency and replica lag, with their SNS topic (AWS).",
  },
  {
    key: "DB_CLOUDWATCH_LOGS_EXPORTS",
    section: "Monitoring",
    type: "string",
    default: null,
    defaultDoc: "postgresql,upgrade (postgres); error,slowquery (mysql, mariadb)",
    allowed: "`none`, or a comma list of the engine's RDS log types",
    description:
      "Logs RDS publishes to CloudWatch Logs (EnableCloudwatchLogsExports), which `ebdb logs` reads on AWS.",
    emptyOk: true,
  },
  // Access and pooling
  {
    key: "DB_ACCESS_MODE",
    section: "Access and pooling",
    type: "enum",
    default: "client-sg",
    choices: ["client-sg", "eb-sg"],
    description:
      "Who may connect: a client security group ebdb attaches to the EB instances, or their own group.",
  },
  {
    key: "DB_SECURITY_GROUP_NAME",
    section: "Access and pooling",
    type: "string",
    default: null,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    defaultDoc: "`${DB_INSTANCE_IDENTIFIER}-sg`",
    allowed: "1-255 characters, not starting with `sg-`",
    description:
      "The instance's security group, in the EB environment's VPC: ebdb makes it, or uses the existing one of that name (`ebdb adopt` names the instance's own); it admits the engine's port only from the clients DB_ACCESS_MODE names (an existing group keeps the rules ebdb did not add).",
    emptyOk: true,
  },
  {
    key: "DB_SUBNET_GROUP_NAME",
    section: "Access and pooling",
    type: "string",
    default: null,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    defaultDoc: "`${DB_INSTANCE_IDENTIFIER}-subnets`",
    allowed: "1-255 letters, digits, spaces, `.`, `_`, `-`; not `default` (RDS keeps it in lower case)",
    description:
      "The instance's DB subnet group: ebdb makes it over the EB environment's private subnets, or uses the existing one of that name (`ebdb adopt` names the instance's own).",
    emptyOk: true,
  },
  {
    key: "DB_RDS_PROXY_ENABLED",
    section: "Access and pooling",
    type: "boolean",
    default: "false",
    choices: BOOL,
    description:
      "Put a connection pooler in front of the primary: RDS Proxy on AWS, PgBouncer locally (when installed). The application gets its address as DB_POOL_HOST, DB_POOL_PORT and DATABASE_POOL_URL; DATABASE_URL stays direct (for migrations).",
  },
  {
    key: "DB_POOL_SIZE",
    section: "Access and pooling",
    type: "integer",
    default: "",
    defaultDoc: "empty: computed (see `ebdb plan`)",
    min: 1,
    max: 5000,
    description:
      "Server connections each application instance's pool may hold (PgBouncer's default_pool_size in `ebdb pooler pgbouncer`); `plan` warns when instances × size exceeds what max_connections leaves.",
    emptyOk: true,
  },
  // Local target
  {
    key: "DB_LOCAL_PORT",
    section: "Local target",
    type: "integer",
    default: "",
    defaultDoc: "empty: a free port",
    min: 1024,
    max: 65535,
    description: "First local port: the primary's; replicas and restores take the next free ones.",
    emptyOk: true,
  },
] as const satisfies readonly KeyDef[];

export type KeyName = (typeof KEYS)[number]["key"];

const BY_NAME: ReadonlyMap<string, KeyDef> = new Map(KEYS.map((d) => [d.key, d as KeyDef]));

export function keyDef(key: string): KeyDef | undefined {
  return BY_NAME.get(key);
}

export function isKnownKey(key: string): key is KeyName {
  return BY_NAME.has(key);
}

// Frozen so that "did you mean" can index it once (see rules-suggest.ts).
export const KEY_NAMES: readonly KeyName[] = Object.freeze(KEYS.map((d) => d.key));
