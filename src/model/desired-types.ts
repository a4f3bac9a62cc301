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

/** The whole topology the configuration asks for, target-independent. Pure data. */
export interface Desired {
  target: TargetName;
  config: Config;
  identifier: string;
  primary: DesiredInstance;
  replicas: DesiredInstance[];
  parameterGroup: { name: string; family: string; parameters: Record<string, DesiredParameter> };
  secret: { name: string; generate: boolean };
  network: {
    subnetGroup: string;
    dbSecurityGroup: string;
    /** null when accessMode is `eb-sg`. */
    clientSecurityGroup: string | null;
    accessMode: AccessMode;
  };
  monitoring: { topic: string; email: string | null; alarms: DesiredAlarm[] };
  eb: {
    application: string;
    environment: string;
    /** Environment property names ebdb sets (values are only known at apply time). */
    properties: string[];
  };
  proxy: { name: string } | null;
  /** Tags on every AWS resource: ebdb:app, ebdb:env, ebdb:managed. */
  tags: Record<string, string>;
}
