import { loadConfig } from "../config/load.js";
import { type KeyName, KEYS, keyDef } from "../config/schema.js";
import type { Config } from "../model/config.js";
import { hasErrors, type Problem } from "../model/problem.js";
import { REDACTION } from "../model/secret.js";
import type { CommandContext } from "./context.js";
import { GENERATED_PASSWORD_LENGTH } from "../model/password.js";

export interface ShowConfigOptions {
  /** Show DB_MASTER_PASSWORD instead of the redaction. */
  showSecrets?: boolean;
}

/** One key of the resolved view: its effective value, or null when the configuration does not use it. */
export interface ResolvedKey {
  key: KeyName;
  value: string | null;
  /** Set in the file (as opposed to a default or a derived value). */
  fromFile: boolean;
  /** Why the value is shown as it is (redacted, generated, unused). */
  note?: string;
}

export interface ShowConfigResult {
  ok: boolean;
  file: string;
  problems: Problem[];
  /** Each key of the file with the string bash gives it (secrets redacted unless asked). */
  values: Record<string, string>;
  /** The typed configuration, defaults and derived names filled in, as plain JSON; null when invalid. */
  resolved: Record<string, unknown> | null;
  /** Every key with its effective value, for the text view; empty when invalid. */
  keys: ResolvedKey[];
  notes: string[];
}

const GENERATED_NOTE = `DB_MASTER_PASSWORD is empty: ebdb generates a ${GENERATED_PASSWORD_LENGTH}-character password (letters, digits and -_.~) at the first \`up\` and keeps it in the secret store (Secrets Manager on AWS, a 0600 file locally).`;

/** The configuration as ebdb understood it, like `docker compose config`. */
export async function showConfig(
  ctx: CommandContext,
  opts: ShowConfigOptions = {},
): Promise<ShowConfigResult> {
  const r = await loadConfig(ctx);
  const ok = !hasErrors(r.problems) && r.config !== null;
  const inFile = new Map(r.entries.map((e) => [e.key, e.value]));
  const values: Record<string, string> = {};
  for (const [key, value] of inFile) {
    values[key] = keyDef(key)?.secret && value !== "" && !opts.showSecrets ? REDACTION : value;
  }
  if (!ok || r.config === null) {
    return { ok: false, file: r.file, problems: r.problems, values, resolved: null, keys: [], notes: [] };
  }
  const c = r.config;
  const resolved = JSON.parse(JSON.stringify(c)) as Record<string, unknown>;
  if (opts.showSecrets && c.masterPassword) resolved.masterPassword = c.masterPassword.reveal();
  const notes = c.masterPassword === null ? [GENERATED_NOTE] : [];
  const keys = KEYS.map(({ key }) => {
    const k: ResolvedKey = {
      key,
      value: effective(key, c, opts.showSecrets === true),
      fromFile: inFile.has(key),
    };
    const note = keyNote(key, c, opts.showSecrets === true);
    if (note) k.note = note;
    return k;
  });
  return { ok, file: r.file, problems: r.problems, values, resolved, keys, notes };
}

const str = (v: string | number | boolean | null): string | null => (v === null ? null : String(v));

/** A key's effective value from the typed configuration (so derived and overridden values show). */
function effective(key: KeyName, c: Config, showSecrets: boolean): string | null {
  switch (key) {
    case "APP_NAME":
      return c.appName;
    case "ENV_NAME":
      return c.envName;
    case "EB_APPLICATION_NAME":
      return c.ebApplication;
    case "EB_ENVIRONMENT_NAME":
      return c.ebEnvironment;
    case "EB_RDS_PROPERTIES":
      return str(c.ebRdsProperties);
    case "AWS_REGION":
      return c.region;
    case "AWS_PROFILE":
      return c.profile ?? "";
    case "DB_ENGINE":
      return c.engine;
    case "DB_ENGINE_VERSION":
      return c.engineVersion;
    case "DB_INSTANCE_IDENTIFIER":
      return c.identifier;
    case "DB_NAME":
      return c.dbName;
    case "DB_MASTER_USERNAME":
      return c.masterUsername;
    case "DB_MASTER_PASSWORD":
      return c.masterPassword === null ? "" : showSecrets ? c.masterPassword.reveal() : REDACTION;
    case "DB_PORT":
      return str(c.port);
    case "DB_INSTANCE_CLASS":
      return c.instanceClass;
    case "DB_MULTI_AZ":
      return str(c.multiAz);
    case "DB_DELETION_PROTECTION":
      return str(c.deletionProtection);
    case "DB_STORAGE_TYPE":
      return c.storage.type;
    case "DB_ALLOCATED_STORAGE":
      return str(c.storage.allocatedGiB);
    case "DB_STORAGE_AUTOSCALING_ENABLED":
      return str(c.storage.autoscaling);
    case "DB_MAX_ALLOCATED_STORAGE":
      return str(c.storage.maxAllocatedGiB);
    case "DB_IOPS":
      return str(c.storage.iops) ?? "";
    case "DB_STORAGE_THROUGHPUT":
      return str(c.storage.throughputMiBps) ?? "";
    case "DB_STORAGE_ENCRYPTED":
      return str(c.storage.encrypted);
    case "DB_KMS_KEY_ID":
      return c.storage.kmsKeyId ?? "";
    case "DB_BACKUP_RETENTION_DAYS":
      return str(c.backup.retentionDays);
    case "DB_BACKUP_WINDOW":
      return c.backup.window;
    case "DB_MAINTENANCE_WINDOW":
      return c.maintenanceWindow;
    case "DB_AUTO_MINOR_VERSION_UPGRADE":
      return str(c.autoMinorVersionUpgrade);
    case "DB_READ_REPLICA_ENABLED":
      return str(c.replicas.enabled);
    case "DB_READ_REPLICA_COUNT":
      return str(c.replicas.count);
    case "DB_READ_REPLICA_MIN_CAPACITY":
      return str(c.replicas.min);
    case "DB_READ_REPLICA_MAX_CAPACITY":
      return str(c.replicas.max);
    case "DB_READ_REPLICA_TARGET_CPU":
      return str(c.replicas.targetCpu);
    case "DB_READ_REPLICA_SCALE_IN_COOLDOWN":
      return str(c.replicas.scaleInCooldownSeconds);
    case "DB_READ_REPLICA_SCALE_OUT_COOLDOWN":
      return str(c.replicas.scaleOutCooldownSeconds);
    case "DB_READ_REPLICA_MAX_LAG_SECONDS":
      return str(c.replicas.maxLagSeconds);
    case "DB_READ_REPLICA_INSTANCE_CLASS":
      return c.replicas.instanceClass;
    case "DB_PERFORMANCE_INSIGHTS_ENABLED":
      return str(c.performanceInsights.enabled);
    case "DB_PERFORMANCE_INSIGHTS_RETENTION":
      return str(c.performanceInsights.retentionDays);
    case "DB_SLOW_QUERY_MS":
      return str(c.slowQueryMs);
    case "DB_ALARM_EMAIL":
      return c.alarmEmail ?? "";
    case "DB_ALARMS_ENABLED":
      return str(c.alarms);
    case "DB_CLOUDWATCH_LOGS_EXPORTS":
      return c.logExports.length ? c.logExports.join(",") : "none";
    case "DB_PARAMETER_GROUP_NAME":
      return c.parameterGroupName ?? "";
    case "DB_ACCESS_MODE":
      return c.accessMode;
    case "DB_RDS_PROXY_ENABLED":
      return str(c.rdsProxy);
    case "DB_POOL_SIZE":
      return str(c.poolSize) ?? "";
    case "DB_SECURITY_GROUP_NAME":
      return c.names.dbSecurityGroup;
    case "DB_SUBNET_GROUP_NAME":
      return c.names.subnetGroup;
    case "DB_LOCAL_PORT":
      return str(c.local.port) ?? "";
  }
}

function keyNote(key: KeyName, c: Config, showSecrets: boolean): string | undefined {
  if (key === "DB_MASTER_PASSWORD") {
    if (c.masterPassword === null) return "empty: generated at the first `up`";
    return showSecrets ? undefined : "redacted; --show-secrets shows it";
  }
  if (key === "DB_MAX_ALLOCATED_STORAGE" && c.storage.maxAllocatedGiB === null)
    return "not used: storage autoscaling is off";
  if (key === "DB_READ_REPLICA_COUNT" && !c.replicas.enabled) return "read replicas are off";
  return undefined;
}
