import type {
  CreateDBProxyCommandInput,
  DBProxy,
  DBProxyTarget,
  DBProxyTargetGroup,
  DeleteDBProxyCommandInput,
  DeregisterDBProxyTargetsCommandInput,
  DescribeDBProxiesCommandInput,
  DescribeDBProxyTargetGroupsCommandInput,
  DescribeDBProxyTargetsCommandInput,
  ModifyDBProxyCommandInput,
  ModifyDBProxyTargetGroupCommandInput,
  RegisterDBProxyTargetsCommandInput,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { instanceArn } from "./rds-model.js";
import { PROXY_TIMES, roleNameOf, targetHealth, trusts } from "./rds-proxy-health.js";
import { checkIdentifier } from "./rds-validate.js";
import type { DbProxy, DbProxyAuth } from "./state.js";
import { mergeTags } from "./world.js";

const RECORDS = { min: 20, max: 100, param: "MaxRecords" };
/** Proxies per account and region (RDS User Guide, "Quotas for RDS Proxy"). */
const QUOTA = 20;
const FAMILIES = ["MYSQL", "POSTGRESQL", "SQLSERVER"];
const CLIENT_AUTH: Record<string, string[]> = {
  POSTGRESQL: ["POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"],
  MYSQL: ["MYSQL_NATIVE_PASSWORD", "MYSQL_CACHING_SHA2_PASSWORD"],
  SQLSERVER: ["SQL_SERVER_AUTHENTICATION"],
};
const ENGINE_FAMILY: Record<string, string> = { postgres: "POSTGRESQL", mysql: "MYSQL", mariadb: "MYSQL" };

export function getProxy(ctx: Ctx, name: string | undefined): DbProxy {
  const p = ctx.r.rds.proxies.get((name ?? "").toLowerCase());
  if (!p) throw ctx.err("DBProxyNotFoundFault", `DBProxy ${name} not found.`, 404);
  return p;
}

function requireAvailable(ctx: Ctx, p: DbProxy): void {
  if (p.status !== "available")
    throw ctx.err(
      "InvalidDBProxyStateFault",
      `DBProxy ${p.name} is not in available state (status: ${p.status}).`,
    );
}

function targetGroupOf(ctx: Ctx, p: DbProxy, name: string | undefined): DbProxy["targetGroup"] {
  if (name !== undefined && name !== "default")
    throw ctx.err("DBProxyTargetGroupNotFoundFault", `DBProxyTargetGroup ${name} not found.`, 404);
  return p.targetGroup;
}

export function proxyShape(p: DbProxy): DBProxy {
  return {
    DBProxyName: p.name,
    DBProxyArn: p.arn,
    Status: p.status as DBProxy["Status"],
    EngineFamily: p.engineFamily,
    VpcId: p.vpcId,
    VpcSecurityGroupIds: [...p.securityGroupIds],
    VpcSubnetIds: [...p.subnetIds],
    Auth: p.auth.map((a) => ({
      Description: a.description,
      AuthScheme: a.authScheme as "SECRETS",
      SecretArn: a.secretArn,
      IAMAuth: a.iamAuth as "DISABLED",
      ClientPasswordAuthType: a.clientPasswordAuthType as "POSTGRES_SCRAM_SHA_256" | undefined,
    })),
    RoleArn: p.roleArn,
    Endpoint: p.endpoint,
    RequireTLS: p.requireTls,
    IdleClientTimeout: p.idleClientTimeout,
    DebugLogging: p.debugLogging,
    CreatedDate: new Date(p.createdAt),
    UpdatedDate: new Date(p.updatedAt),
  };
}

function groupShape(p: DbProxy): DBProxyTargetGroup {
  const g = p.targetGroup;
  return {
    DBProxyName: p.name,
    TargetGroupName: "default",
    TargetGroupArn: g.arn,
    IsDefault: true,
    Status: "available",
    ConnectionPoolConfig: {
      MaxConnectionsPercent: g.maxConnectionsPercent,
      MaxIdleConnectionsPercent: g.maxIdleConnectionsPercent,
      ConnectionBorrowTimeout: g.connectionBorrowTimeout,
      SessionPinningFilters: [...g.sessionPinningFilters],
      InitQuery: g.initQuery,
    },
    CreatedDate: new Date(g.createdAt),
    UpdatedDate: new Date(g.updatedAt),
  };
}

function targetShape(ctx: Ctx, p: DbProxy, t: DbProxy["targets"][number]): DBProxyTarget {
  const inst = ctx.r.rds.instances.get(t.instanceId);
  return {
    TargetArn: instanceArn(ctx.w, ctx.region, t.instanceId),
    Endpoint: inst ? `${inst.id}.${ctx.r.rds.endpointSuffix}.${ctx.region}.rds.amazonaws.com` : undefined,
    RdsResourceId: t.instanceId,
    Port: inst?.port,
    Type: "RDS_INSTANCE",
    Role: "READ_WRITE",
    TargetHealth: targetHealth(ctx.w, ctx.r, p, t),
  };
}

function checkAuth(ctx: Ctx, family: string, auth: CreateDBProxyCommandInput["Auth"]): DbProxyAuth[] {
  if (!auth || auth.length === 0)
    throw ctx.err(
      "InvalidParameterValue",
      "Auth must contain at least one UserAuthConfig (AuthScheme SECRETS).",
    );
  return auth.map((a) => {
    const scheme = a.AuthScheme ?? "SECRETS";
    if (scheme !== "SECRETS")
      throw ctx.err("InvalidParameterValue", `Invalid AuthScheme: ${scheme}. Valid value: SECRETS.`);
    const arn = a.SecretArn ?? "";
    const m = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:.+$/.exec(arn);
    if (!m || m[1] !== ctx.region || m[2] !== ctx.w.accountId)
      throw ctx.err(
        "InvalidParameterValue",
        `SecretArn ${arn || "(missing)"} is not the ARN of a secret in ${ctx.region}.`,
      );
    const iam = a.IAMAuth ?? "DISABLED";
    if (!["DISABLED", "REQUIRED", "ENABLED"].includes(iam))
      throw ctx.err(
        "InvalidParameterValue",
        `Invalid IAMAuth: ${iam}. Valid values: DISABLED, REQUIRED, ENABLED.`,
      );
    if (iam === "ENABLED" && family !== "SQLSERVER")
      throw ctx.err(
        "InvalidParameterCombination",
        "IAMAuth ENABLED is supported only for the SQLSERVER engine family.",
      );
    const client = a.ClientPasswordAuthType;
    if (client !== undefined && !CLIENT_AUTH[family].includes(client))
      throw ctx.err(
        "InvalidParameterCombination",
        `ClientPasswordAuthType ${client} is not valid for engine family ${family} (valid: ${CLIENT_AUTH[family].join(", ")}).`,
      );
    return {
      description: a.Description,
      authScheme: scheme,
      secretArn: arn,
      iamAuth: iam,
      clientPasswordAuthType: client ?? CLIENT_AUTH[family][0],
    };
  });
}

/** Subnets (existing, one VPC, at least two AZs) and security groups (existing, in that VPC; default: the VPC's default). */
function checkNetwork(
  ctx: Ctx,
  input: CreateDBProxyCommandInput,
): { vpcId: string; subnets: string[]; groups: string[] } {
  const ids = input.VpcSubnetIds ?? [];
  const subnets = ids.map((id) => ctx.r.ec2.subnets.get(id));
  if (ids.length === 0 || subnets.some((s) => !s))
    throw ctx.err("InvalidSubnet", `Some input subnets in :[${ids.join(", ")}] are invalid.`);
  const vpcs = new Set(subnets.map((s) => s!.VpcId));
  if (vpcs.size > 1) throw ctx.err("InvalidParameterValue", "The proxy's subnets must all be in one VPC.");
  if (new Set(subnets.map((s) => s!.AvailabilityZone)).size < 2)
    throw ctx.err("InvalidParameterValue", "The proxy needs subnets in at least two Availability Zones.");
  const vpcId = [...vpcs][0];
  let groups = input.VpcSecurityGroupIds ?? [];
  for (const id of groups) {
    const sg = ctx.r.ec2.securityGroups.get(id);
    if (!sg || sg.VpcId !== vpcId)
      throw ctx.err("InvalidParameterValue", `Security group ${id} does not exist in ${vpcId}.`);
  }
  if (groups.length === 0) {
    const def = [...ctx.r.ec2.securityGroups.values()].find(
      (s) => s.VpcId === vpcId && s.GroupName === "default",
    );
    groups = def ? [def.GroupId] : [];
  }
  return { vpcId, subnets: [...ids], groups: [...new Set(groups)] };
}

export const rdsProxyHandlers: Handlers = {
  CreateDBProxy: write<CreateDBProxyCommandInput>((ctx, input) => {
    const name = checkIdentifier(ctx, input.DBProxyName, "DBProxyName");
    const family = input.EngineFamily ?? "";
    if (!FAMILIES.includes(family))
      throw ctx.err(
        "InvalidParameterValue",
        `Invalid EngineFamily: ${family || "(missing)"}. Valid values: ${FAMILIES.join(", ")}.`,
      );
    const auth = checkAuth(ctx, family, input.Auth);
    const roleName = roleNameOf(ctx.w, input.RoleArn ?? "");
    if (!roleName || !ctx.w.iam.roles.has(roleName) || !trusts(ctx.w, roleName, "rds.amazonaws.com"))
      throw ctx.err(
        "InvalidParameterValue",
        `IAM role ARN value is invalid or does not include the required permissions for: RDS Proxy (${input.RoleArn ?? "missing"}): the role must exist and trust rds.amazonaws.com to assume it.`,
      );
    const net = checkNetwork(ctx, input);
    const idle = input.IdleClientTimeout ?? 1800;
    if (!Number.isInteger(idle) || idle < 1 || idle > 28_800)
      throw ctx.err("InvalidParameterValue", "IdleClientTimeout must be between 1 and 28800 seconds.");
    if (ctx.r.rds.proxies.has(name))
      throw ctx.err("DBProxyAlreadyExistsFault", `Cannot create DBProxy ${name} because it already exists.`);
    if (ctx.r.rds.proxies.size >= QUOTA)
      throw ctx.err("DBProxyQuotaExceededFault", `Your quota of DB proxies (${QUOTA}) is reached.`);
    const now = ctx.w.now();
    const proxy: DbProxy = {
      name,
      arn: `arn:aws:rds:${ctx.region}:${ctx.w.accountId}:db-proxy:prx-${ctx.w.hex(17)}`,
      status: "creating",
      engineFamily: family,
      auth,
      roleArn: input.RoleArn!,
      vpcId: net.vpcId,
      subnetIds: net.subnets,
      securityGroupIds: net.groups,
      requireTls: input.RequireTLS ?? false,
      idleClientTimeout: idle,
      debugLogging: input.DebugLogging ?? false,
      endpoint: `${name}.proxy-${ctx.r.rds.endpointSuffix}.${ctx.region}.rds.amazonaws.com`,
      createdAt: now,
      updatedAt: now,
      tags: mergeTags([], input.Tags),
      targetGroup: {
        arn: `arn:aws:rds:${ctx.region}:${ctx.w.accountId}:target-group:prx-tg-${ctx.w.hex(17)}`,
        maxConnectionsPercent: 100,
        maxIdleConnectionsPercent: 50,
        connectionBorrowTimeout: 120,
        initQuery: undefined,
        sessionPinningFilters: [],
        createdAt: now,
        updatedAt: now,
      },
      targets: [],
      epoch: 0,
    };
    ctx.r.rds.proxies.set(name, proxy);
    const epoch = proxy.epoch;
    ctx.w.clock.schedule(now + PROXY_TIMES.create, () => {
      if (proxy.epoch !== epoch || proxy.status !== "creating") return;
      proxy.status = "available";
      proxy.updatedAt = ctx.w.now();
    });
    return { DBProxy: proxyShape(proxy) };
  }),

  DescribeDBProxies: read<DescribeDBProxiesCommandInput>((ctx, input) => {
    const list = input.DBProxyName
      ? [getProxy(ctx, input.DBProxyName)]
      : [...ctx.r.rds.proxies.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = ctx.w.page("rds", list, input.Marker, input.MaxRecords, RECORDS);
    return { DBProxies: page.items.map(proxyShape), Marker: page.next };
  }),

  DeleteDBProxy: write<DeleteDBProxyCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    if (p.status === "deleting")
      throw ctx.err("InvalidDBProxyStateFault", `DBProxy ${p.name} is already being deleted.`);
    p.status = "deleting";
    const epoch = ++p.epoch;
    ctx.w.clock.schedule(ctx.w.now() + PROXY_TIMES.delete, () => {
      if (p.epoch === epoch && ctx.r.rds.proxies.get(p.name) === p) ctx.r.rds.proxies.delete(p.name);
    });
    return { DBProxy: proxyShape(p) };
  }),

  ModifyDBProxy: write<ModifyDBProxyCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    requireAvailable(ctx, p);
    if (input.NewDBProxyName !== undefined)
      throw ctx.err(
        "InvalidParameterValue",
        "The AWS fake does not model renaming a proxy (NewDBProxyName).",
      );
    if (input.Auth !== undefined) p.auth = checkAuth(ctx, p.engineFamily, input.Auth);
    if (input.RoleArn !== undefined) {
      const roleName = roleNameOf(ctx.w, input.RoleArn);
      if (!roleName || !ctx.w.iam.roles.has(roleName) || !trusts(ctx.w, roleName, "rds.amazonaws.com"))
        throw ctx.err(
          "InvalidParameterValue",
          `IAM role ARN value is invalid or does not include the required permissions for: RDS Proxy (${input.RoleArn}).`,
        );
      p.roleArn = input.RoleArn;
    }
    if (input.SecurityGroups !== undefined) {
      for (const id of input.SecurityGroups) {
        const sg = ctx.r.ec2.securityGroups.get(id);
        if (!sg || sg.VpcId !== p.vpcId)
          throw ctx.err("InvalidParameterValue", `Security group ${id} does not exist in ${p.vpcId}.`);
      }
      p.securityGroupIds = [...new Set(input.SecurityGroups)];
    }
    if (input.IdleClientTimeout !== undefined) {
      const idle = input.IdleClientTimeout;
      if (!Number.isInteger(idle) || idle < 1 || idle > 28_800)
        throw ctx.err("InvalidParameterValue", "IdleClientTimeout must be between 1 and 28800 seconds.");
      p.idleClientTimeout = idle;
    }
    if (input.RequireTLS !== undefined) p.requireTls = input.RequireTLS;
    if (input.DebugLogging !== undefined) p.debugLogging = input.DebugLogging;
    p.updatedAt = ctx.w.now();
    return { DBProxy: proxyShape(p) };
  }),

  DescribeDBProxyTargetGroups: read<DescribeDBProxyTargetGroupsCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    targetGroupOf(ctx, p, input.TargetGroupName);
    const page = ctx.w.page("rds", [p], input.Marker, input.MaxRecords, RECORDS);
    return { TargetGroups: page.items.map(groupShape), Marker: page.next };
  }),

  ModifyDBProxyTargetGroup: write<ModifyDBProxyTargetGroupCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    if (!input.TargetGroupName)
      throw ctx.err("MissingParameter", "The request must contain the parameter TargetGroupName");
    const g = targetGroupOf(ctx, p, input.TargetGroupName);
    requireAvailable(ctx, p);
    if (input.NewName !== undefined)
      throw ctx.err("InvalidParameterValue", "The default target group cannot be renamed.");
    const c = input.ConnectionPoolConfig ?? {};
    const max = c.MaxConnectionsPercent ?? g.maxConnectionsPercent;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw ctx.err("InvalidParameterValue", "MaxConnectionsPercent must be between 1 and 100.");
    const idle = c.MaxIdleConnectionsPercent ?? Math.min(g.maxIdleConnectionsPercent, max);
    if (!Number.isInteger(idle) || idle < 0 || idle > max)
      throw ctx.err(
        "InvalidParameterValue",
        "MaxIdleConnectionsPercent must be between 0 and MaxConnectionsPercent.",
      );
    const borrow = c.ConnectionBorrowTimeout ?? g.connectionBorrowTimeout;
    if (!Number.isInteger(borrow) || borrow < 0 || borrow > 3600)
      throw ctx.err("InvalidParameterValue", "ConnectionBorrowTimeout must be between 0 and 3600 seconds.");
    const filters = c.SessionPinningFilters ?? g.sessionPinningFilters;
    if (
      filters.some((f) => f !== "EXCLUDE_VARIABLE_SETS") ||
      (filters.length > 0 && p.engineFamily !== "MYSQL")
    )
      throw ctx.err(
        "InvalidParameterValue",
        "SessionPinningFilters accepts only EXCLUDE_VARIABLE_SETS, for MYSQL.",
      );
    Object.assign(g, {
      maxConnectionsPercent: max,
      maxIdleConnectionsPercent: idle,
      connectionBorrowTimeout: borrow,
      sessionPinningFilters: [...filters],
      initQuery: c.InitQuery ?? g.initQuery,
      updatedAt: ctx.w.now(),
    });
    return { DBProxyTargetGroup: groupShape(p) };
  }),

  RegisterDBProxyTargets: write<RegisterDBProxyTargetsCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    targetGroupOf(ctx, p, input.TargetGroupName);
    if ((input.DBClusterIdentifiers ?? []).length > 0)
      throw ctx.err(
        "InvalidParameterValue",
        "The AWS fake does not model Aurora clusters (DBClusterIdentifiers).",
      );
    const ids = input.DBInstanceIdentifiers ?? [];
    if (ids.length !== 1)
      throw ctx.err(
        "InvalidParameterValue",
        "Register exactly one DB instance: a target group holds one RDS instance.",
      );
    requireAvailable(ctx, p);
    const inst = ctx.r.rds.instances.get(ids[0].toLowerCase());
    if (!inst) throw ctx.err("DBInstanceNotFoundFault", `DBInstance ${ids[0]} not found.`, 404);
    if (p.targets.some((t) => t.instanceId === inst.id))
      throw ctx.err(
        "DBProxyTargetAlreadyRegisteredFault",
        `DB instance ${inst.id} is already registered with ${p.name}.`,
      );
    if (p.targets.length > 0)
      throw ctx.err(
        "InvalidParameterValue",
        `Target group default of ${p.name} already has a DB instance (${p.targets[0].instanceId}).`,
      );
    if (ENGINE_FAMILY[inst.engine] !== p.engineFamily)
      throw ctx.err(
        "InvalidParameterValue",
        `DB instance ${inst.id} (${inst.engine}) does not match the proxy's engine family ${p.engineFamily}.`,
      );
    if (inst.replicaSource !== undefined)
      throw ctx.err(
        "InvalidParameterValue",
        `DB instance ${inst.id} is a read replica: RDS Proxy takes an RDS instance's primary only.`,
      );
    if (inst.status !== "available")
      throw ctx.err("InvalidDBInstanceStateFault", `DB instance ${inst.id} is not in available state.`);
    const vpc = ctx.r.rds.subnetGroups.get(inst.subnetGroupName)?.vpcId;
    if (vpc !== p.vpcId)
      throw ctx.err(
        "InvalidParameterValue",
        `DB instance ${inst.id} is in ${vpc}, not in the proxy's VPC ${p.vpcId}.`,
      );
    const t = { instanceId: inst.id, registeredAt: ctx.w.now() };
    p.targets.push(t);
    return { DBProxyTargets: [targetShape(ctx, p, t)] };
  }),

  DeregisterDBProxyTargets: write<DeregisterDBProxyTargetsCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    targetGroupOf(ctx, p, input.TargetGroupName);
    for (const id of input.DBInstanceIdentifiers ?? []) {
      const i = p.targets.findIndex((t) => t.instanceId === id.toLowerCase());
      if (i < 0)
        throw ctx.err(
          "DBProxyTargetNotFoundFault",
          `DB instance ${id} is not registered with ${p.name}.`,
          404,
        );
      p.targets.splice(i, 1);
    }
    return {};
  }),

  DescribeDBProxyTargets: read<DescribeDBProxyTargetsCommandInput>((ctx, input) => {
    const p = getProxy(ctx, input.DBProxyName);
    targetGroupOf(ctx, p, input.TargetGroupName);
    const page = ctx.w.page("rds", p.targets, input.Marker, input.MaxRecords, RECORDS);
    return { Targets: page.items.map((t) => targetShape(ctx, p, t)), Marker: page.next };
  }),
};
