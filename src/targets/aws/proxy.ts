import { GetRoleCommand, GetRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  DescribeDBProxiesCommand,
  DescribeDBProxyTargetGroupsCommand,
  DescribeDBProxyTargetsCommand,
  type DBProxyTarget,
} from "@aws-sdk/client-rds";
import type { Change } from "../../model/change.js";
import type { Desired } from "../../model/desired-types.js";
import type { PoolerStatus } from "../target.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";

/**
 * RDS Proxy listens on its engine family's standard port, whatever the instance's (the DBProxy API has
 * no port: the endpoint takes 5432 for POSTGRESQL, 3306 for MYSQL).
 */
export function proxyPort(desired: Desired): number {
  return desired.config.engine === "postgres" ? 5432 : 3306;
}

/** The names of what ebdb makes for the proxy: the proxy, its IAM role and policy, its security group. */
export function proxyNames(desired: Desired): { proxy: string; role: string; policy: string; sg: string } {
  const proxy = desired.config.names.proxy;
  // IAM role names are at most 64 characters; proxy names up to 63.
  const role = proxy.length <= 59 ? `${proxy}-role` : `${proxy.slice(0, 59)}-role`;
  return { proxy, role, policy: "read-db-secret", sg: `${desired.identifier}-proxy-sg` };
}

/** A proxy target as ebdb needs it: the instance and its TargetHealth. */
export interface LiveProxyTarget {
  instanceId: string;
  /** REGISTERING, AVAILABLE, UNAVAILABLE. */
  state: string;
  reason: string | null;
  description: string | null;
}

export interface LiveProxy {
  name: string;
  /** creating, available, modifying, deleting, ... */
  status: string;
  endpoint: string | null;
  engineFamily: string;
  roleArn: string;
  secretArns: string[];
  requireTls: boolean;
  securityGroupIds: string[];
  subnetIds: string[];
  targets: LiveProxyTarget[];
  /** The default target group's MaxConnectionsPercent; null while it cannot be read. */
  maxConnectionsPercent: number | null;
}

export interface LiveProxyRole {
  name: string;
  arn: string;
  /** The trust policy lets rds.amazonaws.com assume the role. */
  trusted: boolean;
  /** ebdb's inline policy on it, parsed; null when absent. */
  policy: unknown | null;
}

/** The proxy, its role and the two together, as observe reads them. */
export interface LiveProxyState {
  proxy: LiveProxy | null;
  role: LiveProxyRole | null;
}

function targetOf(t: DBProxyTarget): LiveProxyTarget {
  return {
    instanceId: t.RdsResourceId ?? "",
    state: t.TargetHealth?.State ?? "UNKNOWN",
    reason: t.TargetHealth?.Reason ?? null,
    description: t.TargetHealth?.Description ?? null,
  };
}

/** The proxy by name with its targets and pool setting; null when there is none. */
export async function readProxy(aws: AwsClients, name: string): Promise<LiveProxy | null> {
  let p: Awaited<ReturnType<typeof describe>>;
  try {
    p = await describe(aws, name);
  } catch (e) {
    if (isAwsCode(e, "DBProxyNotFoundFault")) return null;
    throw e;
  }
  if (!p) return null;
  const live: LiveProxy = {
    name: p.DBProxyName ?? name,
    status: p.Status ?? "unknown",
    endpoint: p.Endpoint ?? null,
    engineFamily: p.EngineFamily ?? "",
    roleArn: p.RoleArn ?? "",
    secretArns: (p.Auth ?? []).map((a) => a.SecretArn ?? ""),
    requireTls: p.RequireTLS ?? false,
    securityGroupIds: p.VpcSecurityGroupIds ?? [],
    subnetIds: p.VpcSubnetIds ?? [],
    targets: [],
    maxConnectionsPercent: null,
  };
  if (live.status === "deleting") return live;
  try {
    const [targets, groups] = await Promise.all([
      aws.rds(new DescribeDBProxyTargetsCommand({ DBProxyName: name })),
      aws.rds(new DescribeDBProxyTargetGroupsCommand({ DBProxyName: name, TargetGroupName: "default" })),
    ]);
    live.targets = (targets.Targets ?? []).filter((t) => t.Type === "RDS_INSTANCE").map(targetOf);
    live.maxConnectionsPercent =
      groups.TargetGroups?.[0]?.ConnectionPoolConfig?.MaxConnectionsPercent ?? null;
  } catch (e) {
    // Gone between the two reads (being deleted): what was read stands.
    if (!isAwsCode(e, "DBProxyNotFoundFault")) throw e;
  }
  return live;
}

async function describe(aws: AwsClients, name: string) {
  const r = await aws.rds(new DescribeDBProxiesCommand({ DBProxyName: name }));
  return r.DBProxies?.[0];
}

/** Whether a trust policy lets rds.amazonaws.com call sts:AssumeRole. */
function trustsRds(doc: unknown): boolean {
  const s = (doc as { Statement?: unknown })?.Statement;
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return list(s).some((st) => {
    const x = st as { Effect?: string; Principal?: { Service?: unknown }; Action?: unknown };
    return (
      x.Effect === "Allow" &&
      list(x.Principal?.Service).includes("rds.amazonaws.com") &&
      list(x.Action).includes("sts:AssumeRole")
    );
  });
}

/** The proxy's role and ebdb's inline policy on it; null when the role does not exist. */
export async function readProxyRole(aws: AwsClients, desired: Desired): Promise<LiveProxyRole | null> {
  const names = proxyNames(desired);
  let role: Awaited<ReturnType<typeof getRole>>;
  try {
    role = await getRole(aws, names.role);
  } catch (e) {
    if (isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) return null;
    throw e;
  }
  let policy: unknown | null = null;
  try {
    const p = await aws.iam(new GetRolePolicyCommand({ RoleName: names.role, PolicyName: names.policy }));
    policy = JSON.parse(decodeURIComponent(p.PolicyDocument ?? "null"));
  } catch (e) {
    if (!isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) throw e;
  }
  let trust: unknown = null;
  try {
    trust = JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? "null"));
  } catch {
    trust = null;
  }
  return { name: names.role, arn: role?.Arn ?? "", trusted: trustsRds(trust), policy };
}

async function getRole(aws: AwsClients, name: string) {
  return (await aws.iam(new GetRoleCommand({ RoleName: name }))).Role;
}

/** Who may assume the proxy's role: RDS (RDS User Guide, "Setting up AWS Identity and Access Management (IAM) policies" for RDS Proxy). */
export const TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

/** What the proxy's role may do: read this database's RDS-layout secret, nothing else. */
export function rolePolicy(secretArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadDatabaseSecret",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: secretArn,
      },
    ],
  };
}

/** The proxy and its role (concurrently). */
export async function readProxyState(aws: AwsClients, desired: Desired): Promise<LiveProxyState> {
  const [proxy, role] = await Promise.all([
    readProxy(aws, proxyNames(desired).proxy),
    readProxyRole(aws, desired),
  ]);
  return { proxy, role };
}

/** The proxy a plan should see: one being deleted counts as gone. */
export function observedProxy(state: LiveProxyState): { name: string } | null {
  return state.proxy && state.proxy.status !== "deleting" ? { name: state.proxy.name } : null;
}

/** The address the application is given: the proxy's endpoint once it is available. */
export function poolerEndpoint(
  state: LiveProxyState,
  desired: Desired,
): { host: string; port: number } | null {
  const p = state.proxy;
  if (!desired.proxy || !p || p.status !== "available" || !p.endpoint) return null;
  return { host: p.endpoint, port: proxyPort(desired) };
}

/**
 * What differs in a proxy that exists and is wanted: its role and policy, its settings (TLS required,
 * the secret, the role, its security group) and its target (the primary). The generic diff sees only
 * whether it exists.
 */
export function proxyDrift(
  state: LiveProxyState,
  desired: Desired,
  want: { secretArn: string | null; primary: string | null; sgId: string | null; admitted: boolean },
): Change[] {
  const p = state.proxy;
  const names = proxyNames(desired);
  // Left by an interrupted removal: the role or the group without the proxy.
  if (!desired.proxy && (!p || p.status === "deleting") && (state.role || want.sgId))
    return [
      {
        resource: names.proxy,
        kind: "proxy",
        action: "delete",
        impact: "none",
        reason: `Deletes what RDS Proxy ${names.proxy} left (${[state.role ? names.role : null, want.sgId ? names.sg : null].filter(Boolean).join(", ")})`,
      },
    ];
  if (!desired.proxy || !p || p.status === "deleting") return [];
  const out: Change[] = [];
  const change = (field: string, reason: string, from?: unknown, to?: unknown): Change => ({
    resource: p.name,
    kind: "proxy",
    action: "update",
    field,
    from,
    to,
    impact: "none",
    reason,
  });
  const role = state.role;
  if (
    !role?.trusted ||
    (want.secretArn && JSON.stringify(role.policy) !== JSON.stringify(rolePolicy(want.secretArn)))
  )
    out.push(
      change("role", `Gives RDS Proxy's role ${names.role} read access to ${desired.secret.name} only`),
    );
  if (!want.sgId || !want.admitted)
    out.push(
      change(
        "network",
        `Lets the application's instances reach RDS Proxy ${p.name} on port ${proxyPort(desired)} (security group ${names.sg}) and the proxy reach the database`,
      ),
    );
  const settings: string[] = [];
  if (!p.requireTls) settings.push("requireTls");
  if (want.secretArn && (p.secretArns.length !== 1 || p.secretArns[0] !== want.secretArn))
    settings.push("auth");
  if (role && p.roleArn !== role.arn) settings.push("roleArn");
  if (want.sgId && (p.securityGroupIds.length !== 1 || p.securityGroupIds[0] !== want.sgId))
    settings.push("securityGroups");
  if (settings.length > 0)
    out.push(
      change(
        "settings",
        `Sets ${settings.join(", ")} on RDS Proxy ${p.name}: TLS required, authenticated from ${desired.secret.name} with its own role, in ${names.sg}`,
        settings,
      ),
    );
  const targets = p.targets.map((t) => t.instanceId);
  if (want.primary && (targets.length !== 1 || targets[0] !== want.primary))
    out.push(
      change("target", `Registers the primary ${want.primary} as RDS Proxy ${p.name}'s target`, targets, [
        want.primary,
      ]),
    );
  else if (p.status !== "available")
    out.push(change("status", `Waits for RDS Proxy ${p.name} (${p.status})`));
  return out;
}

/** Whether the DB group admits the proxy's group on the database's port. */
export function admits(
  dbSg: {
    ingress: {
      IpProtocol?: string;
      FromPort?: number;
      ToPort?: number;
      UserIdGroupPairs?: { GroupId?: string }[];
    }[];
  } | null,
  port: number,
  sgId: string | null,
): boolean {
  if (!dbSg || !sgId) return false;
  return dbSg.ingress.some(
    (p) =>
      p.IpProtocol === "tcp" &&
      p.FromPort === port &&
      p.ToPort === port &&
      (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === sgId),
  );
}

/** The proxy as `status` shows it. */
export function proxyStatus(
  state: LiveProxyState,
  desired: Desired,
  maxConnections: number | null,
): PoolerStatus | null {
  const p = state.proxy;
  if (!p) return null;
  const t = p.targets[0];
  const pct = p.maxConnectionsPercent;
  return {
    kind: "rds-proxy",
    name: p.name,
    state: p.status,
    host: p.endpoint,
    port: proxyPort(desired),
    maxServerConnections:
      pct !== null && maxConnections !== null ? Math.floor((pct * maxConnections) / 100) : null,
    note: !desired.proxy
      ? "DB_RDS_PROXY_ENABLED is off: the next `up` deletes it."
      : !t
        ? "No target registered: the next `up` registers the primary."
        : t.state === "AVAILABLE"
          ? `Target ${t.instanceId}: available. RDS Proxy serves the primary only (its read-only endpoints do not serve RDS instance replicas): readers connect to the replicas (DB_REPLICA_HOSTS) or the reader endpoint.`
          : `Target ${t.instanceId}: ${t.state}${t.reason ? ` (${t.reason})` : ""}${t.description ? `: ${t.description}` : ""}`,
  };
}
