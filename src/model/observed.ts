import type { Change } from "./change.js";
import type { Engine, StorageType } from "./config.js";

/** One live instance, as a target sees it, in our own shape (never an SDK shape). */
export interface ObservedInstance {
  name: string;
  role: "primary" | "replica" | "restored";
  /** e.g. available, creating, modifying, stopped, crashed. */
  status: string;
  instanceClass: string;
  engineVersion: string;
  port: number;
  storage: {
    type: StorageType;
    allocatedGiB: number;
    maxAllocatedGiB: number | null;
    iops: number | null;
    throughputMiBps: number | null;
    encrypted: boolean;
    kmsKeyId: string | null;
  };
  multiAz: boolean;
  backupRetentionDays: number;
  backupWindow: string;
  maintenanceWindow: string;
  deletionProtection: boolean;
  autoMinorVersionUpgrade: boolean;
  performanceInsights: { enabled: boolean; retentionDays: number | null };
  logExports: string[];
  parameterGroup: string | null;
  endpoint: { host: string; port: number } | null;
  /** Changes AWS holds for the next maintenance window. */
  pendingModifications: Record<string, unknown>;
  /** ISO time of the last storage modification (AWS allows one per 6 hours). */
  lastStorageChangeAt: string | null;
  /** For replicas: the source instance. */
  sourceName: string | null;
  /** For a replica ebdb adopted under another name: its index among ebdb's (tagged); otherwise from the name. */
  replicaIndex?: number;
  /** The engine; undefined when the target cannot tell (then an engine change goes unnoticed). */
  engine?: Engine;
  /** The DB subnet group; undefined when the target has none (local). */
  subnetGroup?: string | null;
  /** VPC security groups (ids or names) on the instance; undefined when the target has none (local). */
  securityGroups?: string[];
  /**
   * AWS: the secret RDS keeps the master password in (ManageMasterUserPassword on: MasterUserSecret);
   * absent when RDS does not manage it, and locally.
   */
  masterUserSecretArn?: string;
  /** AWS: the CA of the server certificate (CACertificateIdentifier); undefined where there is none (local). */
  caCertificateIdentifier?: string;
}

/**
 * The live state. A field that is `undefined` is a kind of resource the target does not have
 * (the local target has no security groups); `null` means it should exist and does not.
 */
export interface Observed {
  target: "local" | "aws";
  primary: ObservedInstance | null;
  replicas: ObservedInstance[];
  parameterGroup?: { name: string; family: string; parameters: Record<string, string> } | null;
  secret?: { name: string; arn: string | null } | null;
  subnetGroup?: { name: string; subnetIds: string[] } | null;
  dbSecurityGroup?: { id: string; name: string; ingressFrom: string[] } | null;
  clientSecurityGroup?: { id: string; name: string; attachedToEb: boolean } | null;
  topic?: { arn: string; subscriptions: string[] } | null;
  alarms?: { name: string; threshold: number; instance: string; state: string }[];
  eb?: {
    properties: Record<string, string>;
    secretRefs: Record<string, string>;
    instanceRolePolicy: boolean;
    /** Whether the platform resolves environment secrets; false: the secret variables cannot be set. */
    secretsSupported?: boolean;
    /** aws:autoscaling:asg MaxSize: the most application instances (pool sizing); null when unset. */
    maxInstances?: number | null;
  } | null;
  proxy?: { name: string } | null;
  /**
   * Local: the PostgreSQL `up` runs on this machine (the binaries it would use and their version),
   * so the plan says what the local target really makes; null when none is installed; undefined on AWS.
   */
  localServer?: { version: string; source: "EBDB_PG_BIN" | "system" | "embedded"; bindir: string } | null;
  /**
   * Differences a target found in resources the generic diff compares only coarsely (secret content,
   * security-group rules, alarm settings, EB property values), as changes; plan/diff-aws.ts merges them.
   */
  drift?: Change[];
  /** Changes the target found it will not make (with the reason and the way out); merged into the plan's refused. */
  refused?: Change[];
  /**
   * AWS: the Elastic Beanstalk environment the primary is coupled to (EB made it in the environment's
   * stack, and terminating or rebuilding the environment deletes it), or null. While coupled, ebdb
   * changes nothing on it: `ebdb decouple` first.
   */
  coupled?: { environment: string; deletionPolicy: string } | null;
  /** AWS: the read-replica autoscaler's pieces as found (see ObservedAutoscaler); undefined locally. */
  autoscaler?: ObservedAutoscaler;
}

/**
 * The AWS read-replica autoscaler as found: its Lambda function and EventBridge Scheduler schedule,
 * their two IAM roles, its log group and the Route 53 private hosted zone of the reader record.
 */
export interface ObservedAutoscaler {
  function: boolean;
  schedule: boolean;
  roles: boolean;
  logGroup: boolean;
  /** The private hosted zone's id, or null. */
  zoneId: string | null;
  /** What differs from what this ebdb deploys ("its code", "its settings", "the schedule"); empty when current. */
  stale: string[];
}
