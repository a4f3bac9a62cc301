import { ENGINES } from "../config/catalog/engines.js";
import type { Change, Impact, ResourceKind } from "../model/change.js";
import type { DesiredInstance } from "../model/desired-types.js";
import type { ObservedInstance } from "../model/observed.js";
import { type DiffContext, pushInstanceChange, sameValue, show } from "./diff-context.js";
import { diffEncryption } from "./diff-encryption.js";
import { diffStorage } from "./diff-storage.js";
import { localMajorChangeReason, majorOf, versionStep } from "./diff-version.js";

/** Statuses in which RDS accepts a modification. */
const MODIFIABLE = new Set(["available", "running", "storage-optimization"]);

/**
 * Compares one instance (the primary, or one replica) with what the configuration wants. Impacts
 * follow RDS: a new class is a failover on Multi-AZ and an outage otherwise; an engine upgrade is an
 * outage even on Multi-AZ (RDS upgrades the primary and the standby at the same time, for minor
 * versions too); a port change reboots; most other settings apply online.
 */
export function diffInstance(ctx: DiffContext, want: DesiredInstance, have: ObservedInstance): void {
  const kind: ResourceKind = want.role === "primary" ? "instance" : "replica";
  const primary = want.role === "primary";
  const resource = have.name;
  const label = ENGINES[want.engine].label;
  const change = (field: string, from: unknown, to: unknown, impact: Impact, reason: string): Change => ({
    resource,
    kind,
    action: "update",
    field,
    from,
    to,
    impact,
    reason,
  });
  const push = (c: Change) => pushInstanceChange(ctx, have, c);
  const refuse = (c: Change) => ctx.refused.push(c);

  if (!MODIFIABLE.has(have.status)) {
    ctx.notes.push(
      have.status === "stopped"
        ? `${resource} is stopped: RDS changes nothing on a stopped instance; start it before running up.`
        : `${resource} is ${have.status}: ebdb waits until it is available before changing it.`,
    );
  }

  if (have.pendingModifications?.parameterApplyStatus === "pending-reboot") {
    ctx.notes.push(`${resource}: parameter changes are waiting for a reboot to take effect.`);
  }

  if (primary && have.name !== want.name) {
    push(
      change(
        "name",
        have.name,
        want.name,
        "outage",
        `Renames ${have.name} to ${want.name}: RDS reboots the instance and its endpoint changes, so applications reconnect at the new host (ebdb updates the EB environment)`,
      ),
    );
  }

  const engineChanged = have.engine !== undefined && have.engine !== want.engine;
  if (engineChanged) {
    refuse(
      change(
        "engine",
        have.engine,
        want.engine,
        "replace",
        `RDS cannot change an instance's engine (${have.engine} → ${want.engine}): create a new database with its own configuration and move the data with a dump and restore, then destroy this one.`,
      ),
    );
  } else if (primary) {
    diffVersion(ctx, want, have, label, push, refuse, change);
  } else if (majorOf(want.engine, have.engineVersion) !== majorOf(want.engine, want.engineVersion)) {
    ctx.notes.push(
      `${resource} runs ${label} ${have.engineVersion}; a replica follows its source's major version when the primary is upgraded.`,
    );
  }

  if (have.instanceClass !== want.instanceClass) {
    const failover = primary && have.multiAz && want.multiAz;
    push(
      change(
        "instanceClass",
        have.instanceClass,
        want.instanceClass,
        failover ? "failover" : "outage",
        failover
          ? `Moves to ${want.instanceClass}: RDS resizes the standby, then fails over to it (about a minute; connections drop)`
          : primary
            ? `Moves to ${want.instanceClass}: without Multi-AZ the instance is unavailable while RDS resizes it (several minutes)`
            : `Moves the replica to ${want.instanceClass}: it is unavailable for reads while RDS resizes it (several minutes)`,
      ),
    );
  }

  // Locally, a null DB_LOCAL_PORT means "choose a free port": whatever was chosen is right.
  const portChosenLocally =
    ctx.desired.target === "local" && (!primary || ctx.desired.config.local.port === null);
  if (have.port !== want.port && !portChosenLocally) {
    push(
      change(
        "port",
        have.port,
        want.port,
        "restart",
        `Moves the endpoint to port ${want.port}: RDS reboots the instance at once, and clients must use the new port`,
      ),
    );
  }

  if (have.subnetGroup !== undefined && have.subnetGroup !== ctx.desired.network.subnetGroup) {
    push(
      change(
        "subnetGroup",
        have.subnetGroup,
        ctx.desired.network.subnetGroup,
        "outage",
        `Moves the instance to subnet group ${ctx.desired.network.subnetGroup}: RDS moves it to new subnets, and it is unavailable while it does`,
      ),
    );
  }

  if (have.securityGroups !== undefined) {
    const accepted = [ctx.desired.network.dbSecurityGroup, ctx.observed.dbSecurityGroup?.id].filter(Boolean);
    if (!have.securityGroups.some((g) => accepted.includes(g))) {
      push(
        change(
          "securityGroups",
          have.securityGroups,
          [ctx.desired.network.dbSecurityGroup],
          "none",
          `Puts the instance behind security group ${ctx.desired.network.dbSecurityGroup} (online)`,
        ),
      );
    }
  }

  if (
    have.caCertificateIdentifier !== undefined &&
    have.caCertificateIdentifier !== want.caCertificateIdentifier
  ) {
    push(
      change(
        "caCertificateIdentifier",
        have.caCertificateIdentifier,
        want.caCertificateIdentifier,
        "restart",
        `Moves the server certificate to CA ${want.caCertificateIdentifier}: RDS restarts the instance to load it, unless its engine version rotates certificates without a restart`,
      ),
    );
  }

  if (have.parameterGroup !== null && have.parameterGroup !== want.parameterGroup) {
    push(
      change(
        "parameterGroup",
        have.parameterGroup,
        want.parameterGroup,
        "restart",
        `Attaches parameter group ${want.parameterGroup}: its static parameters take effect after a reboot`,
      ),
    );
  }

  diffStorage(ctx, want, have, kind);
  if (primary) diffEncryption(ctx, want, have, change, push, refuse);

  if (primary && have.multiAz !== want.multiAz) {
    push(
      change(
        "multiAz",
        have.multiAz,
        want.multiAz,
        "none",
        want.multiAz
          ? "Adds a standby in another availability zone, online: RDS snapshots the volume and syncs the standby, so write latency may rise for a while"
          : "Removes the standby, online: afterwards a host or zone failure means an outage until RDS recovers the instance",
      ),
    );
  }

  if (primary) diffBackups(ctx, want, have, change, push, refuse);

  const simple: [string, unknown, unknown, string][] = [
    ["maintenanceWindow", have.maintenanceWindow, want.maintenanceWindow, "Moves the maintenance window"],
    [
      "autoMinorVersionUpgrade",
      have.autoMinorVersionUpgrade,
      want.autoMinorVersionUpgrade,
      "Auto minor version upgrade",
    ],
    ["logExports", have.logExports, want.logExports, "Changes the logs exported to CloudWatch Logs"],
  ];
  if (primary) {
    simple.push([
      "deletionProtection",
      have.deletionProtection,
      want.deletionProtection,
      "Deletion protection",
    ]);
  }
  simple.push([
    "performanceInsights.enabled",
    have.performanceInsights.enabled,
    want.performanceInsights.enabled,
    "Performance Insights",
  ]);
  if (want.performanceInsights.enabled && have.performanceInsights.enabled) {
    simple.push([
      "performanceInsights.retentionDays",
      have.performanceInsights.retentionDays,
      want.performanceInsights.retentionDays,
      "Changes the Performance Insights retention",
    ]);
  }
  for (const [field, from, to, what] of simple) {
    if (sameValue(from, to)) continue;
    const reason =
      typeof to === "boolean" ? `${what} ${to ? "on" : "off"} (online)` : `${what} to ${show(to)} (online)`;
    push(change(field, from, to, "none", reason));
  }
}

export type Make = (field: string, from: unknown, to: unknown, impact: Impact, reason: string) => Change;

function diffVersion(
  ctx: DiffContext,
  want: DesiredInstance,
  have: ObservedInstance,
  label: string,
  push: (c: Change) => void,
  refuse: (c: Change) => void,
  change: Make,
): void {
  const step = versionStep(want.engine, have.engineVersion, want.engineVersion);
  const from = have.engineVersion;
  const to = want.engineVersion;
  // The local target runs no pg_upgrade: a change it would only skip is refused, with the way out,
  // so that `up` neither asks for --yes nor offers it again on every run.
  if (ctx.desired.target === "local" && (step === "major-upgrade" || step === "major-downgrade")) {
    refuse(
      change(
        "engineVersion",
        from,
        to,
        "replace",
        localMajorChangeReason(from, to, ctx.desired.config.dbName),
      ),
    );
    return;
  }
  switch (step) {
    case "same":
      return;
    case "minor-upgrade":
      push(
        change(
          "engineVersion",
          from,
          to,
          "outage",
          `Upgrades ${label} ${from} → ${to}: RDS upgrades the primary and its standby together, so the database is unavailable for several minutes even with Multi-AZ`,
        ),
      );
      return;
    case "major-upgrade": {
      const replicasNote =
        want.engine === "postgres"
          ? "RDS upgrades the read replicas with it"
          : "RDS needs the read replicas upgraded first; ebdb upgrades them before the primary";
      push(
        change(
          "engineVersion",
          from,
          to,
          "outage",
          `Major upgrade ${label} ${majorOf(want.engine, from)} → ${majorOf(want.engine, to)}: the database is unavailable during the upgrade (often 10-30 minutes; RDS snapshots it first); test the application against ${to} before`,
        ),
      );
      if (ctx.observed.replicas.length > 0)
        ctx.notes.push(`${have.name}: for the major upgrade, ${replicasNote}.`);
      return;
    }
    case "minor-downgrade":
      if (want.autoMinorVersionUpgrade) {
        ctx.notes.push(
          `${have.name} runs ${label} ${from}, newer than DB_ENGINE_VERSION=${to}: RDS applied a minor upgrade (auto minor version upgrade is on). Set DB_ENGINE_VERSION=${from} to match.`,
        );
        return;
      }
      refuse(
        change(
          "engineVersion",
          from,
          to,
          "replace",
          `RDS cannot downgrade ${label} (${from} → ${to}): set DB_ENGINE_VERSION=${from}, or restore a snapshot taken before the upgrade into a new instance.`,
        ),
      );
      return;
    case "major-downgrade":
      refuse(
        change(
          "engineVersion",
          from,
          to,
          "replace",
          `RDS cannot downgrade ${label} ${majorOf(want.engine, from)} to ${majorOf(want.engine, to)}: set DB_ENGINE_VERSION=${from}, or restore a snapshot taken before the upgrade into a new instance (ebdb restore --from-snapshot).`,
        ),
      );
  }
}

function diffBackups(
  ctx: DiffContext,
  want: DesiredInstance,
  have: ObservedInstance,
  change: Make,
  push: (c: Change) => void,
  refuse: (c: Change) => void,
): void {
  const from = have.backupRetentionDays;
  const to = want.backup.retentionDays;
  if (from !== to) {
    if (to === 0 && ctx.observed.replicas.length > 0) {
      refuse(
        change(
          "backup.retentionDays",
          from,
          to,
          "outage",
          "RDS needs automated backups on the source of read replicas: remove the replicas first (DB_READ_REPLICA_ENABLED=false and ebdb up, or ebdb replica remove), then turn backups off.",
        ),
      );
    } else if (to === 0 || from === 0) {
      push(
        change(
          "backup.retentionDays",
          from,
          to,
          "outage",
          to === 0
            ? "Turns automated backups off: RDS takes the instance offline briefly, deletes its automated backups, and point-in-time restore is no longer possible"
            : `Turns automated backups on (${to} days): RDS takes the instance offline briefly and then takes a first backup`,
        ),
      );
    } else {
      push(
        change("backup.retentionDays", from, to, "none", `Keeps automated backups for ${to} days (online)`),
      );
    }
  }
  if (to > 0 && have.backupWindow !== want.backup.window) {
    push(
      change(
        "backup.window",
        have.backupWindow,
        want.backup.window,
        "none",
        `Moves the backup window to ${want.backup.window} UTC (online)`,
      ),
    );
  }
}
