import type { TargetHealth } from "@aws-sdk/client-rds";
import { roleAllows } from "./iam-eval.js";
import type { DbInstance, DbProxy, RegionState } from "./state.js";
import type { World } from "./world.js";

const MIN = 60_000;

/** Simulated durations of RDS Proxy operations (ms). Tests and SPEC.md refer to these. */
export const PROXY_TIMES = {
  create: 6 * MIN,
  delete: 2 * MIN,
  /** A target stays REGISTERING this long after RegisterDBProxyTargets. */
  register: 3 * MIN,
} as const;

/** The port a proxy listens on: its engine family's standard port, whatever the target's. */
export const PROXY_PORTS: Record<string, number> = { POSTGRESQL: 5432, MYSQL: 3306, SQLSERVER: 1433 };

/** Statuses in which an instance serves connections. */
const SERVING = ["available", "backing-up", "storage-optimization", "modifying", "configuring-log-exports"];

/** The role's name in an IAM role ARN of this account, or undefined when it is not one. */
export function roleNameOf(w: World, arn: string): string | undefined {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(arn);
  return m && m[1] === w.accountId ? m[2] : undefined;
}

interface TrustStatement {
  Effect?: string;
  Principal?: { Service?: string | string[] } | string;
  Action?: string | string[];
  Condition?: unknown;
}

/** Whether the role's trust policy lets the service (e.g. rds.amazonaws.com) call sts:AssumeRole. */
export function trusts(w: World, roleName: string, service: string): boolean {
  const role = w.iam.roles.get(roleName);
  if (!role) return false;
  let statements: TrustStatement[] = [];
  try {
    const s = (JSON.parse(role.assumeRolePolicy) as { Statement?: TrustStatement | TrustStatement[] })
      .Statement;
    statements = Array.isArray(s) ? s : s ? [s] : [];
  } catch {
    return false;
  }
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Condition === undefined &&
      typeof s.Principal === "object" &&
      list(s.Principal.Service).includes(service) &&
      list(s.Action).some((a) => ["sts:assumerole", "sts:*", "*"].includes(a.toLowerCase())),
  );
}

/** Whether one of the instance's security groups admits one of the proxy's on the instance's port. */
function reachable(r: RegionState, proxy: DbProxy, inst: DbInstance): boolean {
  return inst.vpcSecurityGroupIds.some((id) =>
    (r.ec2.securityGroups.get(id)?.ingress ?? []).some(
      (rule) =>
        (rule.protocol === "-1" ||
          (rule.protocol === "tcp" &&
            (rule.fromPort ?? 0) <= inst.port &&
            inst.port <= (rule.toPort ?? 65535))) &&
        ((rule.sourceGroupId !== undefined && proxy.securityGroupIds.includes(rule.sourceGroupId)) ||
          rule.cidr === "0.0.0.0/0"),
    ),
  );
}

/** Why the proxy cannot log in with one auth entry's secret, or null when it can. */
function authProblem(
  w: World,
  r: RegionState,
  proxy: DbProxy,
  inst: DbInstance,
  secretArn: string,
): string | null {
  const roleName = roleNameOf(w, proxy.roleArn);
  if (!roleName || !w.iam.roles.has(roleName)) return `IAM role ${proxy.roleArn} does not exist.`;
  if (!roleAllows(w, roleName, "secretsmanager:GetSecretValue", secretArn))
    return `The proxy's IAM role ${roleName} is not allowed secretsmanager:GetSecretValue on ${secretArn}.`;
  const secret = [...r.secrets.values()].find((s) => s.arn === secretArn);
  if (!secret || secret.deletedAt !== undefined)
    return `Secret ${secretArn} does not exist or is scheduled for deletion.`;
  const current = secret.versions.find((v) => v.stages.includes("AWSCURRENT"));
  let doc: { username?: unknown; password?: unknown } = {};
  try {
    doc = JSON.parse(current?.value ?? "");
  } catch {
    return `Secret ${secret.name} is not a JSON document with username and password.`;
  }
  if (typeof doc.username !== "string" || typeof doc.password !== "string")
    return `Secret ${secret.name} has no username and password.`;
  if (doc.username !== inst.masterUsername || doc.password !== inst.masterPassword)
    return `The database refused the credentials in secret ${secret.name} (password authentication failed for user "${doc.username}").`;
  return null;
}

/**
 * A target's health as RDS Proxy reports it (TargetHealth): REGISTERING for a while after
 * registration, then AVAILABLE when the instance serves, admits the proxy's security groups on its
 * port, and some auth entry's secret (read with the proxy's role) logs in; otherwise UNAVAILABLE with
 * CONNECTION_FAILED or AUTH_FAILURE and why. RDS API Reference, TargetHealth; RDS User Guide,
 * "Troubleshooting for RDS Proxy".
 */
export function targetHealth(
  w: World,
  r: RegionState,
  proxy: DbProxy,
  target: { instanceId: string; registeredAt: number },
): TargetHealth {
  if (w.now() < target.registeredAt + PROXY_TIMES.register) return { State: "REGISTERING" };
  const inst = r.rds.instances.get(target.instanceId);
  if (!inst || !SERVING.includes(inst.status))
    return {
      State: "UNAVAILABLE",
      Reason: "CONNECTION_FAILED",
      Description: `DB instance ${target.instanceId} is ${inst ? inst.status : "not found"}.`,
    };
  if (!reachable(r, proxy, inst))
    return {
      State: "UNAVAILABLE",
      Reason: "CONNECTION_FAILED",
      Description: `The proxy cannot reach ${inst.id} on port ${inst.port}: none of the instance's security groups admits the proxy's (${proxy.securityGroupIds.join(", ")}).`,
    };
  const problems = proxy.auth.map((a) => authProblem(w, r, proxy, inst, a.secretArn));
  if (problems.every((p) => p !== null))
    return { State: "UNAVAILABLE", Reason: "AUTH_FAILURE", Description: problems.join(" ") };
  return { State: "AVAILABLE" };
}
