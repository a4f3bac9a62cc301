import type { AccessMode, BackupConfig, Config, Engine, StorageConfig, TargetName } from "./config.js";

/** One database instance as the configuration wants it (primary or read replica). */
export interface DesiredInstance {
  name: string;
  role: "primary" | "replica";
  instanceClass: string;
  engine: Engine;
  engineVersion: string;
  port: number;
  storage: StorageConfig;
  multiAz: boolean;
  backup: BackupConfig;
  maintenanceWindow: string;
  deletionProtection: boolean;
  autoMinorVersionUpgrade: boolean;
  performanceInsights: { enabled: boolean; retentionDays: number };
  /** CloudWatch Logs exports. */
  logExports: string[];
  parameterGroup: string;
  /**
   * AWS: the CA of the instance's server certificate (RDS's CACertificateIdentifier), set explicitly so
   * an account or region default (rds-ca-ecc384-g1, rds-ca-rsa4096-g1) never decides it.
   */
  caCertificateIdentifier: string;
  publiclyAccessible: false;
  copyTagsToSnapshot: true;
  /** Replicas only: index used to spread replicas over availability zones. */
  azIndex?: number;
}

export interface DesiredParameter {
  value: string;
  /** Static parameters need a reboot to take effect. */
  applyMethod: "immediate" | "pending-reboot";
  /** Why ebdb sets it, for the plan (when the name alone does not say). */
  why?: string;
}

export interface DesiredAlarm {
  name: string;
  description: string;
  metric: string;
  namespace: "AWS/RDS";
  statistic: "Average" | "Maximum" | "Minimum";
  periodSeconds: number;
  evaluationPeriods: number;
  threshold: number;
  comparison: "GreaterThanThreshold" | "LessThanThreshold";
  /** The instance the alarm watches. */
  instance: string;
}

/** What an EB environment secret's value is: the password alone, or a whole URL (DATABASE_URL, JDBC_DATABASE_URL, DATABASE_POOL_URL). */
export type EnvSecretValue = "password" | "url" | "jdbc" | "poolUrl";

/** The whole topology the configuration asks for, target-independent. Pure data. */
export interface Desired {
  target: TargetName;
  config: Config;
  identifier: string;
  primary: DesiredInstance;
  replicas: DesiredInstance[];
  parameterGroup: {
    name: string;
    family: string;
    parameters: Record<string, DesiredParameter>;
    /** ebdb makes and sets the group; false: DB_PARAMETER_GROUP_NAME names the user's, used as it is. */
    managed: boolean;
  };
  secret: {
    /** The secret in RDS's JSON layout (username, password, host, port, ...): ebdb's, RDS Proxy's and rotation's. */
    name: string;
    generate: boolean;
    /**
     * AWS: one secret per EB environment secret's value, since EB puts a secret's whole value in the
     * variable: `password` holds only the password (DB_PASSWORD, RDS_PASSWORD, PGPASSWORD,
     * JDBC_DATABASE_PASSWORD), `url` DATABASE_URL, `jdbc` JDBC_DATABASE_URL, `poolUrl` DATABASE_POOL_URL
     * (through RDS Proxy, with DB_RDS_PROXY_ENABLED).
     */
    variables: Record<EnvSecretValue, string>;
  };
  network: {
    subnetGroup: string;
    dbSecurityGroup: string;
    /** null when accessMode is `eb-sg`. */
    clientSecurityGroup: string | null;
    accessMode: AccessMode;
  };
  /** enabled: DB_ALARMS_ENABLED; when false there are no alarms and no topic. */
  monitoring: { enabled: boolean; topic: string; email: string | null; alarms: DesiredAlarm[] };
  eb: {
    application: string;
    environment: string;
    /** Every variable ebdb gives the EB environment, plain or secret (values are only known at apply time). */
    properties: string[];
    /** The variables that are environment secrets, each with the secret its value comes from; never plain. */
    secrets: Record<string, EnvSecretValue>;
  };
  proxy: { name: string } | null;
  /** Tags on every AWS resource: ebdb:app, ebdb:env, ebdb:managed. */
  tags: Record<string, string>;
}
