import { bashQuote } from "../config/template.js";
import { KEYS, type KeyDef, SECTIONS } from "../config/schema.js";
import { appAndEnv, dbNameOf } from "./names.js";
import {
  leastMaxAllocated,
  ownGroupOf,
  productionDifferences,
  replicaClassNote,
  replicaClassOf,
  replicaSettingsNote,
  storageLimitNote,
} from "./differences.js";

export { productionDifferences, replicaClassNote, replicaSettingsNote, storageLimitNote };

/**
 * An RDS instance ebdb did not make, as `ebdb adopt` reads it: plain values (no SDK shape), each
 * field named for the RDS (or EB) setting it comes from.
 */
export interface AdoptedDatabase {
  region: string;
  /** --profile/AWS_PROFILE in use when adopting; null: the standard chain. */
  profile: string | null;
  identifier: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  /** DBName: null when the instance was made without one. */
  dbName: string | null;
  masterUsername: string;
  port: number;
  multiAz: boolean;
  deletionProtection: boolean;
  storageType: string;
  allocatedGiB: number;
  /** MaxAllocatedStorage: null when storage autoscaling is off. */
  maxAllocatedGiB: number | null;
  /** Iops and StorageThroughput beyond the storage type's baseline (null: the baseline). */
  iops: number | null;
  throughputMiBps: number | null;
  encrypted: boolean;
  kmsKeyId: string | null;
  backupRetentionDays: number;
  backupWindow: string;
  maintenanceWindow: string;
  autoMinorVersionUpgrade: boolean;
  performanceInsights: { enabled: boolean; retentionDays: number | null };
  /** The DB parameter group the instance uses (default.postgres16 for one EB made). */
  parameterGroup: string;
  /** log_min_duration_statement in that group (null: not set, PostgreSQL's -1). */
  slowQueryMs: number | null;
  /** EnabledCloudwatchLogsExports: the log types RDS publishes to CloudWatch Logs. */
  logExports: string[];
  /** ebdb's alarms (`<identifier>-...`) exist: an earlier `up` made them. */
  alarms: boolean;
  securityGroups: { id: string; name: string }[];
  subnetGroup: string;
  /** Read replicas, in the order they keep as ebdb's replicas (1, 2, ...). */
  replicas: {
    name: string;
    instanceClass: string;
    /** Its own settings where RDS does not copy the primary's (CreateDBInstanceReadReplica); absent: as the primary's. */
    performanceInsights?: boolean;
    logExports?: string[];
    maxAllocatedGiB?: number | null;
    parameterGroup?: string;
  }[];
  /** The EB environment that uses the database, when one was found. */
  eb: {
    application: string;
    environment: string;
    /** EB made it in the environment's stack (aws:rds:dbinstance HasCoupledDatabase=true). */
    coupled: boolean;
    /** aws:rds:dbinstance DBDeletionPolicy (coupled only). */
    deletionPolicy: string | null;
    /** How it was found: the instance's elasticbeanstalk tags, the stack, or a property naming its endpoint. */
    foundBy: string;
    /** The application reads RDS_* (EB gives them to a coupled database, or properties set them). */
    readsRdsNames: boolean;
    /** One of the instance's security groups admits the environment's instances on the port. */
    admitsEbInstances: boolean;
    /** The environment property naming the database the application uses (DB_NAME, RDS_DB_NAME, PGDATABASE), if any. */
    databaseProperty?: { key: string; value: string } | null;
  } | null;
  /**
   * ebdb's read-replica autoscaler, when an earlier `up` deployed one: its policy as its Lambda
   * function's EBDB_AUTOSCALE holds it (DB_READ_REPLICA_* values). Absent or null: none.
   */
  autoscaling?: {
    min: number;
    max: number;
    targetCpu: number;
    scaleInCooldownSeconds: number;
    scaleOutCooldownSeconds: number;
    maxLagSeconds: number;
  } | null;
  /** The instance's ebdb:app and ebdb:env tags (an earlier `up` or adopt set them); absent or null: none. */
  ebdbTags?: { app: string; env: string } | null;
  /** ebdb's RDS Proxy (`<identifier>-proxy`, an earlier `up` made it) exists. Absent: none. */
  rdsProxy?: boolean;
  /** A Secrets Manager secret holding the master password (RDS-managed, MasterUserSecret), if any. */
  masterUserSecretArn: string | null;
}

export interface AdoptedConfig {
  /** The config.env text: every key, each with where its value came from. */
  text: string;
  /** The values written (keys missing are written commented out: their default is derived). */
  values: Record<string, string>;
  /** Keys whose live value differs from ebdb's production default: key, live value, the default. */
  differences: { key: string; live: string; production: string }[];
}

const RDS = "RDS DescribeDBInstances";

/**
 * The config.env that describes an existing instance, so that `plan` finds nothing to change in it:
 * every key of the schema in its section, each with a comment saying where the value came from (an
 * RDS or EB field, or ebdb's default where RDS has no such setting). Where the live value is below
 * ebdb's production default (Multi-AZ off, not encrypted, 1 day of backups...), the comment gives the
 * default, and `differences` lists it. DB_DELETION_PROTECTION is written true whatever the instance
 * has: ebdb never plans to unprotect a database it adopts (decouple and up turn it on). The master
 * password is never written: ebdb keeps it in Secrets Manager. Pure.
 */
export function configFromInstance(db: AdoptedDatabase): AdoptedConfig {
  const { app, env, tagged } = appAndEnv(db);
  const sg = db.securityGroups[0];
  const replicaClass = replicaClassOf(db) ?? db.instanceClass;
  const n = db.replicas.length;
  const scaler = db.autoscaling ?? null;
  const autoscalerSrc = "the policy of ebdb's read-replica autoscaler (its Lambda function's EBDB_AUTOSCALE)";
  const eb = db.eb;
  const piRetention = db.performanceInsights.retentionDays ?? 7;
  const autoscaling = db.maxAllocatedGiB !== null;
  const ownGroup = ownGroupOf(db);
  const ebSrc = eb ? `EB environment ${eb.application}/${eb.environment} (${eb.foundBy})` : "";
  // A null value is written commented out, with its source saying why.
  const v: Record<string, [string | null, string]> = {
    APP_NAME: [
      app,
      tagged
        ? "the instance's ebdb:app tag"
        : eb
          ? `from the EB application name ${eb.application}`
          : "from the identifier",
    ],
    ENV_NAME: [
      env,
      tagged
        ? "the instance's ebdb:env tag"
        : eb
          ? `from the EB environment name ${eb.environment}`
          : "ebdb's default",
    ],
    ...(eb
      ? {
          EB_APPLICATION_NAME: [eb.application, `the application of ${ebSrc}`],
          EB_ENVIRONMENT_NAME: [eb.environment, ebSrc],
        }
      : {}),
    EB_RDS_PROPERTIES: [
      String(eb?.readsRdsNames ?? false),
      eb?.coupled
        ? "EB gives a coupled database's application RDS_*: ebdb keeps giving them"
        : eb?.readsRdsNames
          ? "the environment's properties set RDS_*"
          : "the application reads no RDS_*",
    ],
    AWS_REGION: [db.region, "the region the instance was read in"],
    AWS_PROFILE: [
      db.profile ?? "",
      db.profile ? "the profile used to adopt" : "the standard credential chain",
    ],
    DB_ENGINE: [db.engine, `${RDS} Engine`],
    DB_ENGINE_VERSION: [db.engineVersion, `${RDS} EngineVersion`],
    DB_INSTANCE_IDENTIFIER: [db.identifier, `${RDS} DBInstanceIdentifier`],
    DB_NAME: dbNameOf(db),
    DB_MASTER_USERNAME: [db.masterUsername, `${RDS} MasterUsername`],
    DB_MASTER_PASSWORD: [
      "",
      eb?.coupled
        ? "never written here: `ebdb decouple` moves EB's DBPassword into Secrets Manager"
        : db.masterUserSecretArn
          ? `never written here: RDS keeps it in ${db.masterUserSecretArn}`
          : "never written here: ebdb keeps it in Secrets Manager",
    ],
    DB_PORT: [String(db.port), `${RDS} Endpoint.Port`],
    DB_INSTANCE_CLASS: [db.instanceClass, `${RDS} DBInstanceClass`],
    DB_MULTI_AZ: [String(db.multiAz), `${RDS} MultiAZ`],
    DB_DELETION_PROTECTION: [
      "true",
      db.deletionProtection
        ? `${RDS} DeletionProtection`
        : `${RDS} DeletionProtection is false: ebdb turns it on (decouple, or up) and never plans to turn it off`,
    ],
    DB_STORAGE_TYPE: [db.storageType, `${RDS} StorageType`],
    DB_ALLOCATED_STORAGE: [String(db.allocatedGiB), `${RDS} AllocatedStorage`],
    DB_STORAGE_AUTOSCALING_ENABLED: [
      String(autoscaling),
      `${RDS} MaxAllocatedStorage ${autoscaling ? "is set" : "is not set"}`,
    ],
    DB_MAX_ALLOCATED_STORAGE: [
      String(
        db.maxAllocatedGiB === null
          ? Math.max(100, leastMaxAllocated(db))
          : Math.max(db.maxAllocatedGiB, leastMaxAllocated(db)),
      ),
      autoscaling
        ? `${RDS} MaxAllocatedStorage${storageLimitNote(db) ? ` (${storageLimitNote(db)})` : ""}`
        : "unused while storage autoscaling is off",
    ],
    DB_IOPS: [
      db.iops === null ? "" : String(db.iops),
      db.iops === null ? "the storage type's baseline" : `${RDS} Iops`,
    ],
    DB_STORAGE_THROUGHPUT: [
      db.throughputMiBps === null ? "" : String(db.throughputMiBps),
      db.throughputMiBps === null ? "the baseline" : `${RDS} StorageThroughput`,
    ],
    DB_STORAGE_ENCRYPTED: [String(db.encrypted), `${RDS} StorageEncrypted`],
    DB_KMS_KEY_ID: [db.kmsKeyId ?? "", db.kmsKeyId ? `${RDS} KmsKeyId` : "not encrypted: no key"],
    DB_BACKUP_RETENTION_DAYS: [String(db.backupRetentionDays), `${RDS} BackupRetentionPeriod`],
    DB_BACKUP_WINDOW: [db.backupWindow, `${RDS} PreferredBackupWindow`],
    DB_MAINTENANCE_WINDOW: [db.maintenanceWindow, `${RDS} PreferredMaintenanceWindow`],
    DB_AUTO_MINOR_VERSION_UPGRADE: [String(db.autoMinorVersionUpgrade), `${RDS} AutoMinorVersionUpgrade`],
    DB_READ_REPLICA_ENABLED: [
      String(n > 0 || scaler !== null),
      `${RDS} ReadReplicaDBInstanceIdentifiers (${n})${scaler ? ", and ebdb's autoscaler" : ""}`,
    ],
    DB_READ_REPLICA_COUNT: [
      String(scaler ? Math.min(Math.max(n, scaler.min), scaler.max) : Math.max(n, 1)),
      n > 0
        ? `the ${n} read replica(s): ${db.replicas.map((r) => r.name).join(", ")}`
        : scaler
          ? `the autoscaler's minimum (${autoscalerSrc})`
          : "ebdb's default (replicas are off)",
    ],
    ...(scaler
      ? {
          DB_READ_REPLICA_MIN_CAPACITY: [String(scaler.min), autoscalerSrc] as [string, string],
          DB_READ_REPLICA_MAX_CAPACITY: [String(scaler.max), autoscalerSrc] as [string, string],
          DB_READ_REPLICA_TARGET_CPU: [String(scaler.targetCpu), autoscalerSrc] as [string, string],
          DB_READ_REPLICA_SCALE_IN_COOLDOWN: [String(scaler.scaleInCooldownSeconds), autoscalerSrc] as [
            string,
            string,
          ],
          DB_READ_REPLICA_SCALE_OUT_COOLDOWN: [String(scaler.scaleOutCooldownSeconds), autoscalerSrc] as [
            string,
            string,
          ],
          DB_READ_REPLICA_MAX_LAG_SECONDS: [String(scaler.maxLagSeconds), autoscalerSrc] as [string, string],
        }
      : {
          DB_READ_REPLICA_MIN_CAPACITY: [
            String(n > 0 ? n : 1),
            n > 0 ? "the replicas there are" : "ebdb's default",
          ] as [string, string],
          DB_READ_REPLICA_MAX_CAPACITY: [
            String(n > 0 ? n : 3),
            n > 0
              ? "the replicas there are: no autoscaling, as adopted (above DB_READ_REPLICA_MIN_CAPACITY, ebdb adds replicas under load)"
              : "ebdb's default (replicas are off)",
          ] as [string, string],
        }),
    // Without replicas, left to its default (the primary's class): a value would warn "no effect".
    DB_READ_REPLICA_INSTANCE_CLASS: [
      n > 0 ? replicaClass : null,
      n > 0
        ? `${RDS} DBInstanceClass of ${db.replicas.find((r) => r.instanceClass === replicaClass)?.name}${replicaClassNote(db) ? ` (${replicaClassNote(db)})` : ""}`
        : "no replicas: the primary's class once they are turned on",
    ],
    DB_PERFORMANCE_INSIGHTS_ENABLED: [
      String(db.performanceInsights.enabled),
      `${RDS} PerformanceInsightsEnabled`,
    ],
    DB_PERFORMANCE_INSIGHTS_RETENTION: [
      String(piRetention),
      db.performanceInsights.retentionDays === null
        ? "ebdb's default (Performance Insights is off)"
        : `${RDS} PerformanceInsightsRetentionPeriod`,
    ],
    // The instance keeps its group (DB_PARAMETER_GROUP_NAME) unless it already has ebdb's own, whose
    // log_min_duration_statement is DB_SLOW_QUERY_MS; with a group of the user's that key is not set.
    ...(ownGroup
      ? {
          DB_SLOW_QUERY_MS: [
            String(db.slowQueryMs ?? 1000),
            `log_min_duration_statement of parameter group ${db.parameterGroup}`,
          ] as [string, string],
        }
      : {
          DB_PARAMETER_GROUP_NAME: [
            db.parameterGroup,
            `${RDS} DBParameterGroups: the instance keeps its group (${db.slowQueryMs === null ? "no slow statements logged" : `slow statements from ${db.slowQueryMs} ms`}; TLS not enforced unless the group sets ${db.engine === "postgres" ? "rds.force_ssl" : "require_secure_transport"})`,
          ] as [string, string],
        }),
    DB_CLOUDWATCH_LOGS_EXPORTS: [
      db.logExports.length ? db.logExports.join(",") : "none",
      `${RDS} EnabledCloudwatchLogsExports`,
    ],
    DB_ALARMS_ENABLED: [
      String(db.alarms),
      db.alarms ? `ebdb's alarms on ${db.identifier} exist` : `no alarms of ebdb's watch ${db.identifier}`,
    ],
    DB_RDS_PROXY_ENABLED: [
      String(db.rdsProxy === true),
      db.rdsProxy ? "ebdb's RDS Proxy of the instance exists (DescribeDBProxies)" : "no RDS Proxy of ebdb's",
    ],
    DB_ACCESS_MODE: [
      eb?.admitsEbInstances ? "eb-sg" : "client-sg",
      eb?.admitsEbInstances
        ? `security group ${sg?.name} admits the EB instances' own group`
        : "ebdb's default: a client security group for the EB instances",
    ],
    ...(sg
      ? { DB_SECURITY_GROUP_NAME: [sg.name, `${RDS} VpcSecurityGroups (${sg.id})`] as [string, string] }
      : {}),
    DB_SUBNET_GROUP_NAME: [db.subnetGroup, `${RDS} DBSubnetGroup`],
  };
  const values: Record<string, string> = {};
  for (const [k, [value]] of Object.entries(v)) if (value !== null) values[k] = value;
  const differences = productionDifferences(db);
  const out = [
    `# ebdb configuration written by \`ebdb adopt --identifier ${db.identifier}\` from the live instance.`,
    "# Each value says where it came from. `ebdb plan --target aws` shows what differs from it;",
    "# change a value here to have `ebdb up --target aws` change the instance (the plan shows each impact).",
    ...(eb?.coupled
      ? [
          `# The instance is coupled to EB environment ${eb.environment} (EB made it in its stack):`,
          "# run `ebdb decouple --target aws` before anything else.",
        ]
      : []),
  ];
  for (const section of SECTIONS) {
    const defs = (KEYS as readonly KeyDef[]).filter((d) => d.section === section);
    out.push("", `# --- ${section} ---`);
    for (const d of defs) {
      const entry = v[d.key];
      const diff = differences.find((x) => x.key === d.key);
      if (!entry) {
        const doc = (d.defaultDoc ?? d.default ?? "").replace(/`/g, "");
        out.push(`# ${d.key}: not set (default ${doc}).`, `# ${d.key}=""`);
        continue;
      }
      const [value, source] = entry;
      if (value === null) {
        out.push(`# ${d.key}: ${source}.`, `# ${d.key}=""`);
        continue;
      }
      const note = diff ? ` Production default: ${diff.production}.` : "";
      out.push(`# ${d.key}: ${source}.${note}`, `${d.key}=${quote(value)}`);
    }
  }
  return { text: `${out.join("\n")}\n`, values, differences };
}

/** Single quotes when the value holds a `$` (bash would expand it in double quotes). */
function quote(value: string): string {
  return value.includes("$") ? `'${value.replace(/'/g, "'\\''")}'` : bashQuote(value);
}
