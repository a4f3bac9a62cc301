import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { type DBInstance, DescribeDBInstanceAutomatedBackupsCommand } from "@aws-sdk/client-rds";
import { maxConnectionsEstimate } from "../../config/catalog/instance-classes.js";
import { userError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import type { NodeStatus, StatusReport } from "../target.js";
import type { AwsClients, Clock } from "./clients.js";
import { readInstances, readRestored } from "./instances.js";
import { latestMetric } from "./metrics.js";
import { proxyStatus, readProxyState } from "./proxy.js";
import { listSnapshots, toBackupInfo } from "./snapshots.js";

/** A node as `status` and `replica list` show it. */
export function nodeOf(i: DBInstance, role: NodeStatus["role"], lagSeconds: number | null): NodeStatus {
  return {
    name: i.DBInstanceIdentifier!,
    role,
    state: i.DBInstanceStatus ?? "unknown",
    host: i.Endpoint?.Address ?? null,
    port: i.Endpoint?.Port ?? null,
    pid: null,
    instanceClass: i.DBInstanceClass ?? null,
    lagBytes: null,
    lagSeconds,
    multiAz: i.MultiAZ ?? false,
    availabilityZone: i.AvailabilityZone ?? null,
  };
}

/** Replicas with their lag (CloudWatch ReplicaLag, the latest minute). */
export async function replicaNodes(
  aws: AwsClients,
  clock: Clock,
  replicas: DBInstance[],
): Promise<NodeStatus[]> {
  const lag = await latestMetric(
    aws,
    clock,
    "ReplicaLag",
    replicas.map((r) => r.DBInstanceIdentifier!),
    "Maximum",
  );
  return replicas.map((r) => nodeOf(r, "replica", lag.get(r.DBInstanceIdentifier!) ?? null));
}

async function earliestRestorable(aws: AwsClients, id: string): Promise<string | null> {
  const r = await aws.rds(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: id }));
  const t = r.DBInstanceAutomatedBackups?.find((b) => b.Status !== "retained")?.RestoreWindow?.EarliestTime;
  return t ? new Date(t).toISOString() : null;
}

async function alarmsInAlarm(aws: AwsClients, id: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await aws.cw(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${id}-`, StateValue: "ALARM", NextToken: token }),
    );
    out.push(...(r.MetricAlarms ?? []).map((a) => a.AlarmName!));
    token = r.NextToken;
  } while (token);
  return out;
}

/** State, endpoints, class, storage, Multi-AZ, backups and restorable window, replicas with lag, alarms, pending changes. */
export async function statusReport(aws: AwsClients, clock: Clock, desired: Desired): Promise<StatusReport> {
  const id = desired.identifier;
  const { primary, replicas } = await readInstances(aws, id);
  if (!primary) {
    throw userError(
      "NOT_CREATED",
      `${id} does not exist in ${aws.settings.region}.`,
      "Run `ebdb up --target aws` to create it.",
    );
  }
  const retention = primary.BackupRetentionPeriod ?? 0;
  const [nodes, restored, free, snapshots, earliest, alarms, proxy] = await Promise.all([
    replicaNodes(aws, clock, replicas),
    readRestored(aws, desired),
    latestMetric(aws, clock, "FreeStorageSpace", [id], "Minimum"),
    listSnapshots(aws, id),
    retention > 0 ? earliestRestorable(aws, id) : Promise.resolve(null),
    alarmsInAlarm(aws, id),
    // Only with the key on: a proxy left after turning it off goes at the next up (plan shows it).
    desired.proxy ? readProxyState(aws, desired) : Promise.resolve({ proxy: null, role: null }),
  ]);
  const maxConnections = maxConnectionsEstimate(primary.DBInstanceClass ?? "", desired.config.engine);
  const allocated = primary.AllocatedStorage ?? null;
  const freeBytes = free.get(id) ?? null;
  const latest = primary.LatestRestorableTime ? new Date(primary.LatestRestorableTime).toISOString() : null;
  const notes: string[] = [];
  if (retention === 0)
    notes.push("Automated backups are off: point-in-time restore and read replicas are unavailable.");
  if (!primary.MultiAZ)
    notes.push("Single-AZ: a host or zone failure means an outage until RDS recovers the instance.");
  if (primary.DBParameterGroups?.[0]?.ParameterApplyStatus === "pending-reboot") {
    notes.push("Static parameters wait for a reboot (ebdb up --apply-immediately reboots now).");
  }
  const pending: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(primary.PendingModifiedValues ?? {}))
    if (v !== undefined) pending[k] = v;
  return {
    target: "aws",
    identifier: id,
    engine: primary.Engine ?? desired.config.engine,
    engineVersion: primary.EngineVersion ?? "",
    nodes: [nodeOf(primary, "primary", null), ...nodes, ...restored.map((i) => nodeOf(i, "restored", null))],
    backups: {
      enabled: retention > 0,
      retentionDays: retention,
      archive:
        retention > 0
          ? {
              state: latest ? "continuous" : "waiting for the first backup",
              lastArchived: null,
              lastArchivedAt: latest,
              failedCount: 0,
            }
          : null,
      list: snapshots.map(toBackupInfo),
      earliestRestorableTime: earliest,
      latestRestorableTime: latest,
    },
    storage: {
      usedBytes:
        allocated !== null && freeBytes !== null ? Math.max(0, allocated * 1024 ** 3 - freeBytes) : null,
      allocatedGiB: allocated,
      maxAllocatedGiB: primary.MaxAllocatedStorage ?? null,
    },
    alarmsInAlarm: alarms,
    pendingModifications: pending,
    notes,
    pooler: proxyStatus(proxy, desired, maxConnections),
  };
}
