import type { Ctx } from "./kit.js";
import { caFor } from "./rds-certificates.js";
import { ENGINES, INSTANCE_CLASSES, supportsPerformanceInsights } from "./rds-catalog.js";
import { ensureDefaultParameterGroup } from "./rds-groups.js";
import { instanceArn } from "./rds-model.js";
import { resolveKmsKey, windowMinutes } from "./rds-validate.js";
import type { DbInstance, DbSubnetGroup } from "./state.js";

export const LOG_TYPES: Record<string, string[]> = {
  postgres: ["postgresql", "upgrade", "iam-db-auth-error"],
  mysql: ["audit", "error", "general", "slowquery", "iam-db-auth-error"],
  mariadb: ["audit", "error", "general", "slowquery"],
};

export function checkClass(ctx: Ctx, cls: string | undefined, engine: string, version: string): string {
  if (!cls) throw ctx.err("MissingParameter", "The request must contain the parameter DBInstanceClass");
  if (!INSTANCE_CLASSES.includes(cls)) {
    throw ctx.err(
      "InvalidParameterCombination",
      `RDS does not support creating a DB instance with the following combination: DBInstanceClass=${cls}, Engine=${engine}, EngineVersion=${version}, LicenseModel=${engine === "postgres" ? "postgresql-license" : "general-public-license"}. For supported combinations of instance class and database engine version, see the documentation.`,
    );
  }
  return cls;
}

export function checkLogExports(
  ctx: Ctx,
  engine: string,
  version: string,
  types: string[] | undefined,
): void {
  for (const t of types ?? []) {
    if (!LOG_TYPES[engine]?.includes(t)) {
      throw ctx.err(
        "InvalidParameterCombination",
        `You cannot use the log type '${t}' with engine version ${engine} ${version}. For supported log types, see the documentation.`,
      );
    }
  }
}

export function checkPerformanceInsights(
  ctx: Ctx,
  engine: string,
  cls: string,
  enabled: boolean | undefined,
  retention: number | undefined,
): void {
  if (!enabled) return;
  if (!supportsPerformanceInsights(engine, cls)) {
    throw ctx.err(
      "InvalidParameterCombination",
      "Performance Insights not supported for this configuration.",
    );
  }
  if (
    retention !== undefined &&
    !(retention === 7 || retention === 731 || (retention % 31 === 0 && retention <= 713))
  ) {
    throw ctx.err(
      "InvalidParameterValue",
      `Invalid Performance Insights retention period: ${retention}. Valid values are 7, month * 31 (where month is 1-23), or 731.`,
    );
  }
}

export function getSubnetGroup(ctx: Ctx, name: string | undefined): DbSubnetGroup {
  if (!name) {
    throw ctx.err(
      "InvalidVPCNetworkStateFault",
      "Cannot create a db instance without a DB subnet group: this account has no default VPC in this region.",
    );
  }
  const g = ctx.r.rds.subnetGroups.get(name.toLowerCase());
  if (!g) throw ctx.err("DBSubnetGroupNotFoundFault", `DBSubnetGroup '${name}' not found.`, 404);
  return g;
}

export function azsOf(ctx: Ctx, g: DbSubnetGroup): string[] {
  return [...new Set(g.subnetIds.map((id) => ctx.r.ec2.subnets.get(id)?.AvailabilityZone ?? ""))].sort();
}

/** Security groups for an instance in `g`'s VPC: the given ones (must exist there) or the VPC's default. */
export function securityGroupsFor(ctx: Ctx, g: DbSubnetGroup, ids: string[] | undefined): string[] {
  if (!ids || ids.length === 0) {
    const def = [...ctx.r.ec2.securityGroups.values()].find(
      (s) => s.VpcId === g.vpcId && s.GroupName === "default",
    );
    return def ? [def.GroupId] : [];
  }
  for (const id of ids) {
    const sg = ctx.r.ec2.securityGroups.get(id);
    if (!sg) throw ctx.err("InvalidParameterValue", `Invalid security group , groupId= ${id}, groupName=.`);
    if (sg.VpcId !== g.vpcId) {
      throw ctx.err(
        "InvalidParameterCombination",
        `The DB instance and EC2 security group are in different VPCs. The DB instance is in ${g.vpcId} and the EC2 security group is in ${sg.VpcId}`,
      );
    }
  }
  return [...new Set(ids)];
}

/** The parameter group for an instance of `family`: the named one (same family) or default.<family>. */
export function parameterGroupFor(ctx: Ctx, name: string | undefined, family: string): string {
  if (!name) return ensureDefaultParameterGroup(ctx, family).name;
  const lower = name.toLowerCase();
  const g =
    ctx.r.rds.parameterGroups.get(lower) ??
    (lower.startsWith("default.") ? ensureDefaultParameterGroup(ctx, lower.slice(8)) : undefined);
  if (!g) throw ctx.err("DBParameterGroupNotFoundFault", `DBParameterGroup not found: ${name}`, 404);
  if (g.family !== family) {
    throw ctx.err(
      "InvalidParameterCombination",
      `The parameter group ${g.name} with DBParameterGroupFamily ${g.family} can't be used for this instance. Use a parameter group with DBParameterGroupFamily ${family}.`,
    );
  }
  return g.name;
}

/** AZs for a new instance: the requested one (must be covered by the group) or the first; a standby elsewhere. */
export function placeIn(
  ctx: Ctx,
  g: DbSubnetGroup,
  az: string | undefined,
  multiAz: boolean,
): { az: string; secondaryAz: string | undefined } {
  const azs = azsOf(ctx, g);
  if (az && multiAz) {
    throw ctx.err(
      "InvalidParameterCombination",
      "Requesting a specific availability zone is not valid for Multi-AZ instances.",
    );
  }
  if (az && !azs.includes(az)) {
    throw ctx.err(
      "InvalidParameterCombination",
      `No default subnet was found in the DB subnet group ${g.name} for availability zone ${az}.`,
    );
  }
  const chosen = az ?? azs[Math.floor(ctx.w.random() * azs.length)];
  return { az: chosen, secondaryAz: azs.find((a) => a !== chosen) };
}

export function checkBackupRetention(ctx: Ctx, days: number | undefined): void {
  if (days !== undefined && (!Number.isInteger(days) || days < 0 || days > 35)) {
    throw ctx.err(
      "InvalidParameterValue",
      `Invalid backup retention period: ${days}. Valid values are 0 to 35.`,
    );
  }
}

/** The backup window (daily) must not overlap the maintenance window (weekly). */
export function checkWindowsApart(ctx: Ctx, backup: string, maintenance: string): void {
  const b = windowMinutes(backup);
  const m = windowMinutes(maintenance);
  if (!b || !m) return;
  const mStart = m.start % 1440;
  const overlaps = (aS: number, aL: number, bS: number, bL: number) => {
    for (const shift of [-1440, 0, 1440]) if (aS < bS + shift + bL && bS + shift < aS + aL) return true;
    return false;
  };
  if (overlaps(b.start, b.length, mStart, m.length)) {
    throw ctx.err("InvalidParameterValue", "The backup window and maintenance window must not overlap.");
  }
}

export function checkPort(ctx: Ctx, port: number | undefined): void {
  if (port !== undefined && (!Number.isInteger(port) || port < 1150 || port > 65535)) {
    throw ctx.err("InvalidParameterValue", `Invalid port ${port}: the port must be between 1150 and 65535.`);
  }
}

/** A new instance with RDS's defaults; the caller fills what the request said. */
export function blankInstance(ctx: Ctx, id: string, engine: string, version: string): DbInstance {
  const w = ctx.w;
  return {
    id,
    arn: instanceArn(w, ctx.region, id),
    resourceId: `db-${w.chars(26, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`,
    engine,
    engineVersion: version,
    instanceClass: "",
    status: "creating",
    masterUsername: "",
    masterPassword: undefined,
    dbName: undefined,
    port: ENGINES[engine]?.port ?? 5432,
    allocatedStorage: 20,
    maxAllocatedStorage: undefined,
    storageType: "gp3",
    iops: undefined,
    storageThroughput: undefined,
    storageEncrypted: false,
    kmsKeyArn: undefined,
    multiAz: false,
    az: "",
    secondaryAz: undefined,
    publiclyAccessible: false,
    vpcSecurityGroupIds: [],
    subnetGroupName: "",
    parameterGroupName: "",
    parameterApplyStatus: "in-sync",
    backupRetention: 1,
    backupWindow: "07:27-07:57",
    maintenanceWindow: "sun:05:00-sun:05:30",
    deletionProtection: false,
    copyTagsToSnapshot: false,
    autoMinorVersionUpgrade: true,
    piEnabled: false,
    piRetention: undefined,
    piKmsKeyArn: undefined,
    logExports: [],
    caCert: caFor(ctx, undefined),
    createdAt: w.now(),
    tags: [],
    pending: {},
    lastStorageChange: undefined,
    backupsSince: undefined,
    replicaSource: undefined,
    replicaIds: [],
    replicaLag: 0,
    epoch: 0,
  };
}

export function performanceInsightsKey(ctx: Ctx, ref: string | undefined): string {
  return resolveKmsKey(ctx, ref).arn;
}
