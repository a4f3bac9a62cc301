/**
 * Names and fixed settings of the AWS autoscaling runner, derived from the database identifier alone
 * (no state file: `up`, `status` and `destroy` find every piece by these names). Pure.
 */

/** Lambda function, IAM role and schedule names: at most 64 characters (Lambda, IAM and Scheduler limits). */
const NAME_MAX = 64;

/** FNV-1a of a string, in base 36: a short stable suffix for a name cut to fit. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, "0").slice(0, 7);
}

/** `ebdb-<identifier><suffix>`, the identifier cut and a hash of it added when the whole is over 64. */
function bounded(identifier: string, suffix: string): string {
  const whole = `ebdb-${identifier}${suffix}`;
  if (whole.length <= NAME_MAX) return whole;
  const keep = NAME_MAX - "ebdb-".length - suffix.length - 8;
  return `ebdb-${identifier.slice(0, keep).replace(/-+$/, "")}-${shortHash(identifier)}${suffix}`;
}

/** Everything the runner is made of, by name. */
export interface AutoscaleNames {
  /** Lambda function (also its execution role's name). */
  functionName: string;
  /** IAM role the function runs as. */
  roleName: string;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  schedulerRoleName: string;
  /** EventBridge Scheduler schedule, in the `default` group. */
  scheduleName: string;
  /** The function's log group (Lambda's default name, made by ebdb with a retention). */
  logGroup: string;
  /** Route 53 private hosted zone, `<identifier>.ebdb.internal` (`.internal` is reserved for private use). */
  zoneName: string;
  /** The reader record in it: DB_READER_HOST. */
  readerHost: string;
  /** The inline policies on the two roles. */
  rolePolicy: string;
  schedulerPolicy: string;
}

export function autoscaleNames(identifier: string): AutoscaleNames {
  const functionName = bounded(identifier, "-autoscaler");
  const zoneName = `${identifier}.ebdb.internal`;
  return {
    functionName,
    roleName: functionName,
    schedulerRoleName: bounded(identifier, "-autoscaler-sched"),
    scheduleName: functionName,
    logGroup: `/aws/lambda/${functionName}`,
    zoneName,
    readerHost: `reader.${zoneName}`,
    rolePolicy: "ebdb-autoscaler",
    schedulerPolicy: "ebdb-invoke-autoscaler",
  };
}

/** The Lambda runtime: the newest Node.js LTS Lambda runs (it provides the AWS SDK v3 the bundle leaves out). */
export const LAMBDA_RUNTIME = "nodejs22.x";
/** arm64 (Graviton): the same JavaScript at a lower price per GB-second than x86_64. */
export const LAMBDA_ARCHITECTURE = "arm64";
export const LAMBDA_HANDLER = "index.handler";
/** Seconds: a step makes a handful of API calls; the next one starts a minute later. */
export const LAMBDA_TIMEOUT = 50;
export const LAMBDA_MEMORY_MB = 256;
/** One step at a time: two runs deciding on the same minute would both act. */
export const LAMBDA_CONCURRENCY = 1;
/** Days of logs kept (each decision with its reason is a line there). */
export const LOG_RETENTION_DAYS = 30;
/** EventBridge Scheduler: every minute, the metric's period. */
export const SCHEDULE_EXPRESSION = "rate(1 minute)";
/** The event each run gets: the minute it stands for (Scheduler fills in the context attribute). */
export const SCHEDULE_INPUT = '{"scheduledTime":"<aws.scheduler.scheduled-time>"}';
/** Seconds a DNS answer for the reader may be cached: short, so a removed replica is left soon. */
export const READER_TTL = 5;

/** The custom metric the runner publishes (one point a minute), and where. */
export const METRIC = {
  namespace: "ebdb/RDS",
  name: "RDSReaderAverageCPUUtilization",
  /** The primary: the database whose replicas it averages. */
  dimension: "DBInstanceIdentifier",
} as const;

/** Tags of the replicas the runner made (the policy removes no other). */
export const CREATED_BY_TAG = "ebdb:created-by";
export const CREATED_BY_AUTOSCALER = "autoscaler";
