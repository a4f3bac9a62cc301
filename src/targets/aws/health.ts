import { DescribeCertificatesCommand, type DBInstance } from "@aws-sdk/client-rds";
import { maxConnectionsEstimate } from "../../config/catalog/instance-classes.js";
import type {
  CertificateFacts,
  ConnectionMetric,
  HealthObservation,
  NetworkPathFacts,
  ReplicaFacts,
  StorageFacts,
} from "../../doctor/observation.js";
import { userError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import type { HealthOptions } from "../target.js";
import type { AwsClients, Clock } from "./clients.js";
import {
  type HealthMetrics,
  latest,
  readHealthMetrics,
  storageGrowth,
  valueAgo,
  walIdle,
} from "./health-metrics.js";
import { READY, readRestored } from "./instances.js";
import { latestMetric } from "./metrics.js";
import { type AwsLive, attached, gather, sourceGroupId } from "./observe.js";
import { RDS_CA_EXPIRY } from "./rds-ca.js";

const GIB = 1024 ** 3;
/** The most lag an idle PostgreSQL primary makes a replica report: five minutes, and a minute's margin. */
const IDLE_LAG_MAX_SECONDS = 360;
const iso = (d: Date | string | undefined | null) => (d ? new Date(d).toISOString() : null);

/**
 * Why the SQL checks do not run on AWS: the instance is private to the EB environment's VPC (ebdb
 * makes it so: PubliclyAccessible false, a security group that admits only the EB instances).
 */
export function privateReason(): string {
  return 'not run from here: the database is private to the EB environment\'s VPC (see network-path); run the SQL from an EB instance (`eb ssh`, then `psql "$DATABASE_URL"`) or through an SSM port forward (AWS-StartPortForwardingSessionToRemoteHost)';
}

/** The CA's expiry: DescribeCertificates, else RDS's published dates (a CA RDS no longer offers). */
async function caExpiry(aws: AwsClients, ca: string | undefined): Promise<string | null> {
  if (!ca) return null;
  try {
    const r = await aws.rds(new DescribeCertificatesCommand({ CertificateIdentifier: ca }));
    const till = r.Certificates?.find((c) => c.CertificateIdentifier === ca)?.ValidTill;
    if (till) return iso(till);
  } catch {
    // Not offered any more (expired) or not allowed: the published date below says it.
  }
  return RDS_CA_EXPIRY[ca] ?? null;
}

function certificateOf(i: DBInstance, caNotAfter: string | null): CertificateFacts | null {
  const ca = i.CertificateDetails?.CAIdentifier ?? i.CACertificateIdentifier ?? null;
  if (!ca) return null;
  return { notAfter: iso(i.CertificateDetails?.ValidTill), ca, caNotAfter };
}

/** The security-group path from the EB instances to the database, as ebdb makes it (observe.ts). */
function networkOf(live: AwsLive, desired: Desired, i: DBInstance): NetworkPathFacts {
  const port = i.Endpoint?.Port ?? desired.primary.port;
  const ebMode = desired.network.accessMode === "eb-sg";
  const srcId = sourceGroupId(live, desired);
  const dbSg = live.dbSg;
  const admits =
    dbSg !== null &&
    srcId !== null &&
    dbSg.ingress.some(
      (p) =>
        (p.IpProtocol === "tcp" || p.IpProtocol === "-1") &&
        (p.IpProtocol === "-1" || ((p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 0))) &&
        (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === srcId),
    );
  return {
    port,
    ebVpc: live.vpcId,
    dbVpc: i.DBSubnetGroup?.VpcId ?? live.subnetGroup?.vpcId ?? null,
    source: {
      id: srcId,
      name: ebMode ? "the EB instances' own security group" : desired.config.names.clientSecurityGroup,
      attachedToEb: ebMode ? srcId !== null : attached(live.env, live.clientSg),
    },
    dbGroup: {
      id: dbSg?.id ?? null,
      name: desired.network.dbSecurityGroup,
      attached: dbSg !== null && (i.VpcSecurityGroups ?? []).some((g) => g.VpcSecurityGroupId === dbSg.id),
      admitsSource: admits,
    },
  };
}

function storageOf(i: DBInstance, m: HealthMetrics, nowMs: number): StorageFacts {
  const allocatedBytes = i.AllocatedStorage ? i.AllocatedStorage * GIB : null;
  const freeBytes = latest(m.free, nowMs) ?? latest(m.free, nowMs - 45 * 60_000);
  const growth = storageGrowth(m.free, allocatedBytes);
  return {
    usedBytes: allocatedBytes !== null && freeBytes !== null ? Math.max(0, allocatedBytes - freeBytes) : null,
    freeBytes,
    allocatedBytes,
    maxAllocatedBytes: i.MaxAllocatedStorage ? i.MaxAllocatedStorage * GIB : null,
    growthBytesPerDay: growth?.bytesPerDay ?? null,
    growthWindowHours: growth?.windowHours ?? null,
  };
}

/**
 * max_connections as RDS sets it: the parameter group's value when ebdb's group sets a number, else
 * the engine's default formula over the class's memory (config/catalog/instance-classes.ts).
 */
function connectionsOf(live: AwsLive, i: DBInstance, m: HealthMetrics, nowMs: number): ConnectionMetric {
  const group = i.DBParameterGroups?.[0]?.DBParameterGroupName;
  const set = live.params && live.params.name === group ? live.params.values.max_connections : undefined;
  const engine = i.Engine === "postgres" ? "postgres" : i.Engine === "mariadb" ? "mariadb" : "mysql";
  const formula =
    engine === "postgres"
      ? "LEAST({DBInstanceClassMemory/9531392},5000)"
      : "{DBInstanceClassMemory/12582880}";
  const fromGroup = set !== undefined && /^\d+$/.test(set) ? Number(set) : null;
  return {
    used: latest(m.connections, nowMs),
    max: fromGroup ?? maxConnectionsEstimate(i.DBInstanceClass ?? "", engine),
    maxSource:
      fromGroup !== null
        ? `max_connections in parameter group ${group}`
        : `RDS's default for ${i.DBInstanceClass}, ${formula}`,
  };
}

/**
 * What `ebdb doctor --target aws` judges of one instance (the primary unless opts.instance): its
 * status, the CA and certificate expiry, the security-group path from the EB instances, storage with
 * its growth, CPU and credits, connections, replicas' lag and the backups' restorable time, from
 * RDS, EC2, EB and CloudWatch. DNS, TCP, TLS, authentication and the SQL checks are not tried (the
 * database is private to the VPC) and say so. Reads only. Errors: NOT_CREATED, INSTANCE_NOT_FOUND.
 */
export async function observeAwsHealth(
  aws: AwsClients,
  clock: Clock,
  desired: Desired,
  opts: HealthOptions = {},
): Promise<HealthObservation> {
  const [live, restored] = await Promise.all([gather(aws, desired), readRestored(aws, desired)]);
  const primary = live.instances.primary;
  if (!primary)
    throw userError(
      "NOT_CREATED",
      `${desired.identifier} does not exist in ${aws.settings.region}.`,
      "Run `ebdb up --target aws` to create it.",
    );
  const named = [
    { i: primary, role: "primary" as const },
    ...live.instances.replicas.map((i) => ({ i, role: "replica" as const })),
    ...restored.map((i) => ({ i, role: "restored" as const })),
  ];
  const pick = opts.instance ? named.find((n) => n.i.DBInstanceIdentifier === opts.instance) : named[0];
  if (!pick)
    throw userError(
      "INSTANCE_NOT_FOUND",
      `--instance ${opts.instance}: ${desired.identifier} has no such instance.`,
      `Name one of ${named.map((n) => n.i.DBInstanceIdentifier).join(", ")} (\`ebdb status\` lists them).`,
    );
  const { i, role } = pick;
  const name = i.DBInstanceIdentifier!;
  const replicaIds = role === "primary" ? live.instances.replicas.map((r) => r.DBInstanceIdentifier!) : [];
  const [metrics, caNotAfter, lags] = await Promise.all([
    readHealthMetrics(aws, clock, name),
    caExpiry(aws, i.CertificateDetails?.CAIdentifier ?? i.CACertificateIdentifier),
    latestMetric(aws, clock, "ReplicaLag", replicaIds, "Maximum"),
  ]);
  const now = clock.now();
  const nowMs = now.getTime();
  const state = i.DBInstanceStatus ?? "unknown";
  const host = i.Endpoint?.Address ?? null;
  const port = i.Endpoint?.Port ?? desired.primary.port;
  const notTried = (what: string): { ok: null; detail: string } => ({
    ok: null,
    detail: `not tried from here: ${what}`,
  });
  const retention = i.BackupRetentionPeriod ?? 0;
  const latestRestorable = iso(i.LatestRestorableTime);
  // "If there are no user transactions occurring on the source DB instance, the associated PostgreSQL
  // read replica reports a replication lag of up to five minutes" (RDS User Guide, "Working with read
  // replicas for Amazon RDS for PostgreSQL"): such a lag is not a fault, a longer one is.
  const idle = i.Engine === "postgres" ? walIdle(metrics.wal, clock.now().getTime()) : null;
  const replicas: ReplicaFacts[] = live.instances.replicas.map((r) => {
    const lagSeconds = lags.get(r.DBInstanceIdentifier!) ?? null;
    return {
      name: r.DBInstanceIdentifier!,
      // A replica whose storage is being optimized still serves reads.
      state: READY.has(r.DBInstanceStatus ?? "") ? "available" : (r.DBInstanceStatus ?? "unknown"),
      lagBytes: null,
      lagSeconds,
      primaryIdle: idle === null ? null : idle && (lagSeconds ?? 0) <= IDLE_LAG_MAX_SECONDS,
      streaming: null,
    };
  });
  return {
    target: "aws",
    identifier: desired.identifier,
    instance: {
      name,
      role,
      state,
      serving: READY.has(state),
      engine: i.Engine ?? desired.config.engine,
      engineVersion: i.EngineVersion ?? "",
      instanceClass: i.DBInstanceClass ?? null,
    },
    at: now.toISOString(),
    connectivity: {
      dns: host
        ? notTried(`${host} resolves to private addresses in ${live.vpcId}, reachable only from inside it`)
        : { ok: false, detail: `${name} has no endpoint (it is ${state})` },
      tcp: notTried(
        `port ${port} admits only the EB instances' security group (the network-path check reads that path)`,
      ),
      tls: notTried(
        "the EB instances verify the server against the RDS CA bundle (`ebdb eb-files` installs it); the certificate check reads the CA from RDS",
      ),
      auth: notTried("the master password is checked where the database is reachable"),
    },
    certificate: certificateOf(i, caNotAfter),
    network: networkOf(live, desired, i),
    pg: null,
    pgSkipped: privateReason(),
    replication: role === "primary" ? { replicas, slots: null } : null,
    archive:
      role === "primary"
        ? {
            enabled: retention > 0,
            state: retention === 0 ? "off" : latestRestorable ? "continuous" : "waiting for the first backup",
            lastArchived: null,
            lastArchivedAt: latestRestorable,
            failedCount: 0,
            failingSince: null,
            lastError: null,
            restorableLagSeconds: latestRestorable
              ? Math.max(0, (nowMs - Date.parse(latestRestorable)) / 1000)
              : null,
          }
        : null,
    storage: storageOf(i, metrics, nowMs),
    cpu: {
      utilization: latest(metrics.cpu, nowMs),
      source: "CloudWatch CPUUtilization, 5-minute average",
      credits: /^db\.t/.test(i.DBInstanceClass ?? "")
        ? { balance: latest(metrics.credits, nowMs), hourAgo: valueAgo(metrics.credits, nowMs, 3_600_000) }
        : null,
    },
    connectionMetric: connectionsOf(live, i, metrics, nowMs),
  };
}
