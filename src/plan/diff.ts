import { ENGINES } from "../config/catalog/engines.js";
import type { Plan } from "../model/change.js";
import type { TargetName } from "../model/config.js";
import { desiredAlarms } from "../model/desired.js";
import type { Desired, DesiredAlarm } from "../model/desired-types.js";
import type { Observed } from "../model/observed.js";
import { localCreateReason } from "./describe-local.js";
import { diffAutoscaler } from "./diff-autoscaler.js";
import { diffAws } from "./diff-aws.js";
import type { DiffContext } from "./diff-context.js";
import { diffInstance } from "./diff-instance.js";
import { diffReplicas } from "./diff-replicas.js";
import {
  diffEb,
  diffMonitoring,
  diffNetwork,
  diffParameterGroup,
  diffProxy,
  diffSecret,
} from "./diff-resources.js";
import { orderChanges } from "./order.js";

export interface DiffOptions {
  /** The time storage-change rules are checked against (RDS allows one storage change per 6 hours). */
  now?: Date;
  /** Allow changes that replace the instance (encrypting it, a new KMS key) instead of refusing them. */
  allowReplace?: boolean;
}

/**
 * Nothing observed: what a target sees before the first `up`. On AWS every kind of resource is
 * missing (null); the local target has no network, secret store, alarms or EB wiring (undefined).
 */
export function emptyObserved(target: TargetName): Observed {
  if (target === "local") return { target, primary: null, replicas: [] };
  return {
    target,
    primary: null,
    replicas: [],
    parameterGroup: null,
    secret: null,
    subnetGroup: null,
    dbSecurityGroup: null,
    clientSecurityGroup: null,
    topic: null,
    alarms: [],
    eb: null,
    proxy: null,
  };
}

/** The alarms for the replicas there will be: the configured alarms, with one lag alarm per replica. */
function alarmsFor(desired: Desired, replicaNames: readonly string[]): DesiredAlarm[] {
  if (!desired.monitoring.enabled) return [];
  const lag = desired.monitoring.alarms.filter((a) => a.metric === "ReplicaLag");
  const rest = desired.monitoring.alarms.filter((a) => a.metric !== "ReplicaLag");
  const perReplica = replicaNames.map((name) => {
    const own = lag.find((a) => a.instance === name);
    if (own) return own;
    const template = lag[0] ?? desiredAlarms(desired.config, [name]).find((a) => a.metric === "ReplicaLag")!;
    return {
      ...template,
      name: `${name}-lag`,
      instance: name,
      description: template.description.replace(template.instance, name),
    };
  });
  return [...rest, ...perReplica];
}

/**
 * What it takes to go from the observed state to the desired one: the changes in a valid order, each
 * with its impact by RDS's rules; the changes ebdb refuses to make, each with the reason and the way
 * out; and notes. Pure, and the same for both targets: a kind of resource the target does not have
 * (undefined in Observed) is left out, and fields a target fills with the desired values compare equal.
 */
export function diff(desired: Desired, observed: Observed, opts: DiffOptions = {}): Plan {
  const ctx: DiffContext = {
    desired,
    observed,
    now: opts.now ?? new Date(),
    allowReplace: opts.allowReplace ?? false,
    changes: [],
    refused: [],
    notes: [],
  };
  diffSecret(ctx);
  diffNetwork(ctx);
  diffParameterGroup(ctx);

  const endpoints: string[] = [];
  const p = desired.primary;
  if (observed.primary === null) {
    const s = p.storage;
    ctx.changes.push({
      resource: p.name,
      kind: "instance",
      action: "create",
      to: { engine: p.engine, engineVersion: p.engineVersion, instanceClass: p.instanceClass },
      impact: "none",
      reason:
        desired.target === "local"
          ? localCreateReason(desired, observed.localServer)
          : `Creates ${ENGINES[p.engine].label} ${p.engineVersion} on ${p.instanceClass}: ${s.allocatedGiB} GiB ${s.type}${
              s.autoscaling && s.maxAllocatedGiB ? ` (autoscaling to ${s.maxAllocatedGiB})` : ""
            }, ${s.encrypted ? "encrypted" : "NOT encrypted"}, ${p.multiAz ? "Multi-AZ" : "Single-AZ"}, backups ${
              p.backup.retentionDays > 0 ? `${p.backup.retentionDays} days` : "off"
            }${desired.target === "aws" ? `, TLS certificate from CA ${p.caCertificateIdentifier}` : ""}`,
    });
    endpoints.push("DB_HOST");
  } else {
    diffInstance(ctx, p, observed.primary);
    if (ctx.changes.some((c) => c.kind === "instance" && c.field === "name")) endpoints.push("DB_HOST");
    const port = ctx.changes.find((c) => c.kind === "instance" && c.field === "port");
    if (port) {
      endpoints.push("DB_PORT");
      const ruleChanged = ctx.changes.some((c) => c.kind === "security-group-rule");
      if (observed.dbSecurityGroup && !ruleChanged) {
        ctx.changes.push({
          resource: desired.network.dbSecurityGroup,
          kind: "security-group-rule",
          action: "update",
          field: "port",
          from: port.from,
          to: port.to,
          impact: "none",
          reason: `Admits the new port ${String(port.to)} instead of ${String(port.from)} (online)`,
        });
      }
    }
  }
  const replicas = diffReplicas(ctx);
  if (replicas.endpointsChanged) endpoints.push("DB_REPLICA_HOSTS");

  diffProxy(ctx);
  diffMonitoring(ctx, alarmsFor(desired, replicas.names));
  diffEb(ctx, endpoints);
  diffAutoscaler(ctx);
  // What only the AWS target can see (secret content, rule and alarm details, EB values), deduplicated.
  diffAws(ctx);

  return {
    target: desired.target,
    changes: orderChanges(ctx.changes),
    refused: orderChanges(ctx.refused),
    notes: ctx.notes,
  };
}
