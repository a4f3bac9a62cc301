import { ENGINES } from "../config/catalog/engines.js";
import { instanceClassInfo } from "../config/catalog/instance-classes.js";
import type { TargetName } from "../model/config.js";
import type { Desired, DesiredAlarm, DesiredInstance } from "../model/desired-types.js";
import { gp3Baseline } from "./diff-storage.js";
import { GENERATED_PASSWORD_LENGTH } from "../model/password.js";

/** One resource of the topology with every setting, in plain JSON values. */
export interface TopologyResource {
  /** secret, subnet-group, security-group, parameter-group, instance, replica, replica-autoscaling, proxy,
   * topic, alarm, eb-environment, iam-policy, backups (local), tls (local). */
  kind: string;
  name: string;
  settings: Record<string, unknown>;
}

/** What `ebdb plan --offline` shows: the topology config.env asks for, from the configuration alone. */
export interface Topology {
  target: TargetName;
  identifier: string;
  engine: string;
  /** AWS region; null for the local target. */
  region: string | null;
  configFile: string;
  resources: TopologyResource[];
  /** Local target: the AWS resources it does not make. Empty on AWS. */
  awsOnly: string[];
  notes: string[];
}

/** An alarm threshold in its metric's unit: bytes as GiB/MiB, latency in seconds, CPU in %. */
function thresholdText(a: DesiredAlarm): string {
  if (a.metric === "FreeStorageSpace" || a.metric === "FreeableMemory") {
    const gib = a.threshold / 1024 ** 3;
    return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.round(a.threshold / 1024 ** 2)} MiB`;
  }
  if (a.metric === "CPUUtilization") return `${a.threshold}%`;
  if (a.metric === "ReplicaLag" || a.metric.endsWith("Latency")) return `${a.threshold} s`;
  return String(a.threshold);
}

function classLabel(name: string): string {
  const info = instanceClassInfo(name);
  return info
    ? `${name} (${info.vcpu} vCPU${info.architecture === "arm64" ? " ARM" : ""}, ${info.memoryGiB} GiB)`
    : name;
}

function storageSettings(i: DesiredInstance): Record<string, unknown> {
  const s = i.storage;
  const base = s.type === "gp3" ? gp3Baseline(s.allocatedGiB) : null;
  return {
    storageType: s.type,
    allocatedGiB: s.allocatedGiB,
    maxAllocatedGiB: s.autoscaling ? s.maxAllocatedGiB : "autoscaling off",
    iops: s.iops ?? (base ? `baseline ${base.iops}` : s.type === "gp2" ? "3 per GiB (burst to 3,000)" : null),
    throughputMiBps: s.throughputMiBps ?? (base ? `baseline ${base.throughputMiBps}` : null),
    encrypted: s.encrypted,
    kmsKey: s.encrypted ? (s.kmsKeyId ?? "aws/rds (AWS-managed)") : null,
  };
}

function awsInstance(d: Desired, i: DesiredInstance): TopologyResource {
  const c = d.config;
  const primary = i.role === "primary";
  const settings: Record<string, unknown> = {
    ...(primary
      ? {}
      : {
          source: d.identifier,
          availabilityZone: `spread: AZ #${(i.azIndex ?? 0) + 1} of the subnet group`,
        }),
    engine: `${ENGINES[i.engine].label} ${i.engineVersion}`,
    instanceClass: classLabel(i.instanceClass),
    port: i.port,
    ...(primary
      ? { dbName: c.dbName, masterUsername: c.masterUsername, masterPassword: `in ${d.secret.name}` }
      : {}),
    ...storageSettings(i),
    multiAz: i.multiAz,
    ...(primary
      ? {
          backupRetentionDays: i.backup.retentionDays,
          backupWindow: `${i.backup.window} UTC`,
          deletionProtection: i.deletionProtection,
        }
      : {}),
    maintenanceWindow: `${i.maintenanceWindow} UTC`,
    autoMinorVersionUpgrade: i.autoMinorVersionUpgrade,
    performanceInsights: i.performanceInsights.enabled
      ? `${i.performanceInsights.retentionDays} days`
      : false,
    logExports: i.logExports,
    parameterGroup: i.parameterGroup,
    subnetGroup: d.network.subnetGroup,
    securityGroups: [d.network.dbSecurityGroup],
    publiclyAccessible: i.publiclyAccessible,
    copyTagsToSnapshot: i.copyTagsToSnapshot,
    tags: d.tags,
  };
  return { kind: primary ? "instance" : "replica", name: i.name, settings };
}

function awsResources(d: Desired): TopologyResource[] {
  const c = d.config;
  const port = d.primary.port;
  const r: TopologyResource[] = [];
  r.push({
    kind: "secret",
    name: d.secret.name,
    settings: {
      store: "AWS Secrets Manager",
      password: d.secret.generate
        ? `generated: ${GENERATED_PASSWORD_LENGTH} letters, digits and -_.~ (nothing to escape in a URL); kept on later runs`
        : "DB_MASTER_PASSWORD",
      layout: "JSON: username, password, engine, host, port, dbname, dbInstanceIdentifier",
    },
  });
  r.push({
    kind: "subnet-group",
    name: d.network.subnetGroup,
    settings: { subnets: "the EB environment's DBSubnets, else its private subnets in at least two AZs" },
  });
  const from = d.network.clientSecurityGroup ?? "the EB instances' own security group";
  r.push({
    kind: "security-group",
    name: d.network.dbSecurityGroup,
    settings: { ingress: `tcp ${port} from ${from} only`, vpc: "the EB environment's VPC" },
  });
  if (d.network.clientSecurityGroup) {
    r.push({
      kind: "security-group",
      name: d.network.clientSecurityGroup,
      settings: {
        attachedTo: `EB environment ${d.eb.environment} (aws:autoscaling:launchconfiguration SecurityGroups)`,
        note: "attaching it replaces the EB instances by a rolling update",
      },
    });
  }
  r.push({
    kind: "parameter-group",
    name: d.parameterGroup.name,
    settings: {
      family: d.parameterGroup.family,
      ...Object.fromEntries(
        Object.entries(d.parameterGroup.parameters).map(([k, p]) => [
          k,
          p.applyMethod === "pending-reboot" ? `${p.value} (static: applies at reboot)` : p.value,
        ]),
      ),
    },
  });
  r.push(awsInstance(d, d.primary));
  for (const rep of d.replicas) r.push(awsInstance(d, rep));
  if (c.replicas.enabled) {
    r.push({
      kind: "replica-autoscaling",
      name: `${d.identifier} read replicas`,
      settings: {
        initial: c.replicas.count,
        min: c.replicas.min,
        max: c.replicas.max,
        targetCpu: `${c.replicas.targetCpu}%`,
        scaleInCooldownSeconds: c.replicas.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: c.replicas.scaleOutCooldownSeconds,
        instanceClass: classLabel(c.replicas.instanceClass),
      },
    });
  }
  if (d.proxy) {
    r.push({
      kind: "proxy",
      name: d.proxy.name,
      settings: {
        engineFamily: c.engine === "postgres" ? "POSTGRESQL" : "MYSQL",
        auth: d.secret.name,
        requireTls: true,
      },
    });
  }
  r.push({
    kind: "topic",
    name: d.monitoring.topic,
    settings: { email: d.monitoring.email ?? "none (DB_ALARM_EMAIL)" },
  });
  for (const a of d.monitoring.alarms) {
    r.push({
      kind: "alarm",
      name: a.name,
      settings: {
        description: a.description,
        metric: `${a.namespace} ${a.metric} (${a.statistic})`,
        condition: `${a.comparison === "GreaterThanThreshold" ? ">" : "<"} ${thresholdText(a)} for ${a.evaluationPeriods} × ${a.periodSeconds / 60} min`,
        threshold: a.threshold,
        instance: a.instance,
        actions: d.monitoring.topic,
      },
    });
  }
  r.push({
    kind: "eb-environment",
    name: d.eb.environment,
    settings: {
      application: d.eb.application,
      properties: d.eb.properties,
      DB_PASSWORD: `aws:elasticbeanstalk:application:environmentsecrets → ${d.secret.name} (platforms from 2025-03-26; else a plain property, with a warning)`,
    },
  });
  r.push({
    kind: "iam-policy",
    name: `${d.eb.environment} instance role`,
    settings: { allows: `secretsmanager:GetSecretValue on ${d.secret.name} only` },
  });
  return r;
}

function localResources(d: Desired): TopologyResource[] {
  const c = d.config;
  const port = c.local.port ?? "a free port, chosen at up";
  const params = Object.fromEntries(
    Object.entries(d.parameterGroup.parameters)
      .filter(([k]) => !k.startsWith("rds."))
      .map(([k, p]) => [k, p.value]),
  );
  const r: TopologyResource[] = [
    {
      kind: "instance",
      name: d.identifier,
      settings: {
        engine: `${ENGINES[c.engine].label} ${c.engineVersion} (local binaries; the minor version is what is installed)`,
        port,
        dbName: c.dbName,
        masterUsername: c.masterUsername,
        masterPassword: d.secret.generate
          ? `generated once (${GENERATED_PASSWORD_LENGTH} letters, digits and -_.~), kept in a 0600 file under .ebdb/`
          : "DB_MASTER_PASSWORD",
        tls: "required and verifiable: the project's own CA signs the servers' certificate; clients use sslmode=verify-full with its .ebdb/<identifier>/ca.crt (TLS-only, as rds.force_ssl=1)",
        ...params,
      },
    },
  ];
  for (const rep of d.replicas) {
    r.push({
      kind: "replica",
      name: rep.name,
      settings: { source: d.identifier, replication: "streaming", port: "the next free port" },
    });
  }
  r.push({
    kind: "backups",
    name: `${d.identifier} backups`,
    settings:
      c.backup.retentionDays > 0
        ? {
            walArchive: `continuous, under .ebdb/${d.identifier}/`,
            baseBackups: `under .ebdb/${d.identifier}/`,
            retentionDays: c.backup.retentionDays,
            pointInTimeRestore: true,
          }
        : { walArchive: "off (DB_BACKUP_RETENTION_DAYS=0)", pointInTimeRestore: false },
  });
  return r;
}

/** The AWS resources the local target does not make. */
const AWS_ONLY = [
  "Secrets Manager secret",
  "DB subnet group and security groups",
  "RDS parameter group (its settings go to the local server's configuration, except rds.* ones)",
  "Multi-AZ standby",
  "storage type, IOPS, autoscaling and KMS encryption",
  "Performance Insights and CloudWatch Logs exports",
  "SNS topic and CloudWatch alarms",
  "Elastic Beanstalk wiring and IAM policy",
  "RDS Proxy",
];

/** The topology of a Desired: every resource with every setting and derived name. Pure. */
export function buildTopology(d: Desired): Topology {
  const c = d.config;
  const notes: string[] = [];
  if (c.backup.retentionDays === 0)
    notes.push("Backups are off: no point-in-time restore, and no read replicas.");
  if (!c.storage.encrypted)
    notes.push("Storage is not encrypted; turning encryption on later replaces the instance.");
  if (!c.multiAz && d.target === "aws")
    notes.push("Single-AZ: a host or zone failure is an outage until RDS recovers the instance.");
  if (d.target === "aws" && !d.monitoring.alarms.some((a) => a.metric === "DatabaseConnections")) {
    notes.push(
      `${c.instanceClass} is not in ebdb's catalog: no connections or memory alarm (their thresholds come from the class).`,
    );
  }
  return {
    target: d.target,
    identifier: d.identifier,
    engine: `${ENGINES[c.engine].label} ${c.engineVersion}`,
    region: d.target === "aws" ? c.region : null,
    configFile: c.file,
    resources: d.target === "aws" ? awsResources(d) : localResources(d),
    awsOnly: d.target === "local" ? AWS_ONLY : [],
    notes,
  };
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "-";
  if (typeof v === "object")
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${valueText(x)}`)
      .join(", ");
  return String(v);
}

/** The topology as text lines: each resource, then its settings indented. */
export function topologyLines(t: Topology): string[] {
  const where = t.target === "aws" ? `aws, ${t.region}` : "local";
  const lines = [`Topology of ${t.identifier} (${where}): ${t.engine}, from ${t.configFile}`, ""];
  for (const r of t.resources) {
    lines.push(`${r.kind} ${r.name}`);
    const width = Math.max(...Object.keys(r.settings).map((k) => k.length));
    for (const [k, v] of Object.entries(r.settings))
      lines.push(`    ${`${k}:`.padEnd(width + 2)}${valueText(v)}`);
  }
  if (t.awsOnly.length > 0) {
    lines.push("", "Made on AWS only (not locally):");
    for (const a of t.awsOnly) lines.push(`  - ${a}`);
  }
  if (t.notes.length > 0) {
    lines.push("", "Notes:");
    for (const n of t.notes) lines.push(`  • ${n}`);
  }
  return lines;
}
