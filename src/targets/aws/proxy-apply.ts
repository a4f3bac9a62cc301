import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateDBProxyCommand,
  DeleteDBProxyCommand,
  DeregisterDBProxyTargetsCommand,
  ModifyDBProxyCommand,
  RegisterDBProxyTargetsCommand,
} from "@aws-sdk/client-rds";
import { systemError } from "../../errors.js";
import { isAwsCode } from "./aws-errors.js";
import { type AwsCtx, tagList } from "./context.js";
import { deleteSecurityGroup, ensureIngress, ensureSecurityGroup, type LiveSg } from "./network.js";
import {
  type LiveProxy,
  type LiveProxyRole,
  proxyNames,
  proxyPort,
  readProxy,
  readProxyRole,
  rolePolicy,
  TRUST_POLICY,
} from "./proxy.js";
import { readSubnetGroup } from "./subnets.js";
import { waitFor } from "./wait.js";

export interface ProxyInputs {
  /** The RDS-layout secret (username, password, host, ...) the proxy logs in with. */
  secretArn: string;
  vpcId: string;
  /** The DB security group, which must admit the proxy's. */
  dbSg: LiveSg;
  /** The group of the application's instances (client group, or EB's own), which the proxy admits. */
  sourceSgId: string;
  /** The proxy's group, when it exists. */
  proxySg: LiveSg | null;
}

/** How long a new role may take to be usable by RDS (IAM is eventually consistent). */
const ROLE_RETRIES = 6;

/**
 * Makes RDS Proxy in front of the primary, or brings it in line: a role RDS may assume that reads only
 * the database's secret; a security group admitting the application's instances on the proxy's port,
 * which the DB group admits on the database's; the proxy (TLS required, authenticated from the secret,
 * IAM auth off); the primary as its one target. Waits until the proxy is available and the target has
 * left REGISTERING; says why when the target is unavailable. Each part reads before it writes, so a run
 * after an interruption continues. Returns the proxy's endpoint. Source: RDS User Guide, "Getting started
 * with RDS Proxy" (network, secrets, IAM role) and the CreateDBProxy / RegisterDBProxyTargets API.
 */
export async function ensureProxy(ctx: AwsCtx, inputs: ProxyInputs): Promise<{ host: string; port: number }> {
  const d = ctx.desired;
  const names = proxyNames(d);
  const port = proxyPort(d);
  const [role, sg] = await Promise.all([
    ensureRole(ctx, await readProxyRole(ctx.aws, d), inputs.secretArn),
    (async () => {
      const g = await ensureSecurityGroup(
        ctx,
        inputs.proxySg ?? undefined,
        names.sg,
        inputs.vpcId,
        `RDS Proxy ${names.proxy}: port ${port} from the database's clients (managed by ebdb)`,
      );
      await ensureIngress(ctx, g, port, inputs.sourceSgId);
      await admit(ctx, inputs.dbSg, d.primary.port, g.id);
      return g;
    })(),
  ]);

  let proxy = await readProxy(ctx.aws, names.proxy);
  if (proxy?.status === "deleting") {
    await waitProxyGone(ctx, names.proxy);
    proxy = null;
  }
  if (!proxy) await createProxy(ctx, inputs.secretArn, role.arn, sg.id);
  proxy = await waitProxy(ctx, names.proxy);
  const settings = {
    RequireTLS: proxy.requireTls ? undefined : true,
    Auth:
      proxy.secretArns.length === 1 && proxy.secretArns[0] === inputs.secretArn
        ? undefined
        : authOf(ctx, inputs.secretArn),
    RoleArn: proxy.roleArn === role.arn ? undefined : role.arn,
    SecurityGroups:
      proxy.securityGroupIds.length === 1 && proxy.securityGroupIds[0] === sg.id ? undefined : [sg.id],
  };
  if (Object.values(settings).some((v) => v !== undefined))
    await ctx.aws.rds(new ModifyDBProxyCommand({ DBProxyName: names.proxy, ...settings }));
  await ensureTarget(ctx, proxy);
  if (!proxy.endpoint)
    throw systemError("AWS_PROXY_NO_ENDPOINT", `RDS Proxy ${names.proxy} has no endpoint.`);
  return { host: proxy.endpoint, port };
}

function authOf(ctx: AwsCtx, secretArn: string) {
  const postgres = ctx.desired.config.engine === "postgres";
  return [
    {
      Description: `Master user of ${ctx.desired.identifier} (ebdb)`,
      AuthScheme: "SECRETS" as const,
      SecretArn: secretArn,
      IAMAuth: "DISABLED" as const,
      // RDS for PostgreSQL stores passwords as SCRAM (password_encryption = scram-sha-256).
      ClientPasswordAuthType: postgres ? ("POSTGRES_SCRAM_SHA_256" as const) : undefined,
    },
  ];
}

async function ensureRole(
  ctx: AwsCtx,
  live: LiveProxyRole | null,
  secretArn: string,
): Promise<LiveProxyRole> {
  const names = proxyNames(ctx.desired);
  let role = live;
  if (!role) {
    try {
      const r = await ctx.aws.iam(
        new CreateRoleCommand({
          RoleName: names.role,
          AssumeRolePolicyDocument: JSON.stringify(TRUST_POLICY),
          Description: `RDS Proxy ${names.proxy} reads ${ctx.desired.secret.name} (managed by ebdb)`,
          Tags: tagList(ctx.desired),
        }),
      );
      role = { name: names.role, arn: r.Role!.Arn!, trusted: true, policy: null };
    } catch (e) {
      if (!isAwsCode(e, "EntityAlreadyExists", "EntityAlreadyExistsException")) throw e;
      role = await readProxyRole(ctx.aws, ctx.desired);
      if (!role) throw systemError("AWS_ROLE_INVISIBLE", `IAM role ${names.role} exists but cannot be read.`);
    }
  }
  if (!role.trusted) {
    await ctx.aws.iam(
      new UpdateAssumeRolePolicyCommand({
        RoleName: names.role,
        PolicyDocument: JSON.stringify(TRUST_POLICY),
      }),
    );
    role = { ...role, trusted: true };
  }
  const want = rolePolicy(secretArn);
  if (JSON.stringify(role.policy) !== JSON.stringify(want)) {
    await ctx.aws.iam(
      new PutRolePolicyCommand({
        RoleName: names.role,
        PolicyName: names.policy,
        PolicyDocument: JSON.stringify(want),
      }),
    );
  }
  return { ...role, policy: want };
}

/** Authorizes `port` from `sourceId` on `sg`, leaving its other rules alone. */
async function admit(ctx: AwsCtx, sg: LiveSg, port: number, sourceId: string): Promise<void> {
  const has = sg.ingress.some(
    (p) =>
      p.IpProtocol === "tcp" &&
      p.FromPort === port &&
      p.ToPort === port &&
      (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === sourceId),
  );
  if (has) return;
  try {
    await ctx.aws.ec2(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg.id,
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: port,
            ToPort: port,
            UserIdGroupPairs: [{ GroupId: sourceId, Description: "RDS Proxy (managed by ebdb)" }],
          },
        ],
      }),
    );
  } catch (e) {
    if (!isAwsCode(e, "InvalidPermission.Duplicate")) throw e;
  }
}

async function createProxy(ctx: AwsCtx, secretArn: string, roleArn: string, sgId: string): Promise<void> {
  const d = ctx.desired;
  const group = await readSubnetGroup(ctx.aws, d.network.subnetGroup);
  if (!group)
    throw systemError("AWS_NO_SUBNET_GROUP", `DB subnet group ${d.network.subnetGroup} does not exist.`);
  ctx.io.event({
    type: "progress",
    message: `Creating RDS Proxy ${d.config.names.proxy}`,
    resource: d.config.names.proxy,
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.aws.rds(
        new CreateDBProxyCommand({
          DBProxyName: d.config.names.proxy,
          EngineFamily: d.config.engine === "postgres" ? "POSTGRESQL" : "MYSQL",
          Auth: authOf(ctx, secretArn),
          RoleArn: roleArn,
          VpcSubnetIds: Object.keys(group.subnets),
          VpcSecurityGroupIds: [sgId],
          RequireTLS: true,
          Tags: tagList(d),
        }),
      );
      return;
    } catch (e) {
      if (isAwsCode(e, "DBProxyAlreadyExistsFault")) return;
      // A role made a moment ago may not be assumable by RDS yet.
      const roleNotReady = isAwsCode(e, "InvalidParameterValue") && /role/i.test((e as Error).message);
      if (!roleNotReady || attempt >= ROLE_RETRIES) throw e;
      await ctx.clock.sleep(5000 * attempt);
    }
  }
}

/** Waits until the proxy is available, and returns it. */
async function waitProxy(ctx: AwsCtx, name: string): Promise<LiveProxy> {
  return waitFor<LiveProxy>({
    clock: ctx.clock,
    io: ctx.io,
    what: `RDS Proxy ${name} to be available`,
    resource: name,
    poll: async () => {
      const p = await readProxy(ctx.aws, name);
      return {
        done: p?.status === "available",
        status: p?.status ?? "not visible yet",
        value: p ?? undefined,
      };
    },
  });
}

async function waitProxyGone(ctx: AwsCtx, name: string): Promise<void> {
  await waitFor({
    clock: ctx.clock,
    io: ctx.io,
    what: `RDS Proxy ${name} to be deleted`,
    resource: name,
    poll: async () => {
      const p = await readProxy(ctx.aws, name);
      return { done: p === null, status: p?.status ?? "deleted" };
    },
  });
}

/** The primary as the one target (another, e.g. a replaced primary's old name, is deregistered). */
async function ensureTarget(ctx: AwsCtx, proxy: LiveProxy): Promise<void> {
  const id = ctx.desired.identifier;
  const others = proxy.targets.filter((t) => t.instanceId !== id).map((t) => t.instanceId);
  if (others.length > 0)
    await ctx.aws.rds(
      new DeregisterDBProxyTargetsCommand({ DBProxyName: proxy.name, DBInstanceIdentifiers: others }),
    );
  if (!proxy.targets.some((t) => t.instanceId === id)) {
    try {
      await ctx.aws.rds(
        new RegisterDBProxyTargetsCommand({ DBProxyName: proxy.name, DBInstanceIdentifiers: [id] }),
      );
    } catch (e) {
      if (!isAwsCode(e, "DBProxyTargetAlreadyRegisteredFault")) throw e;
    }
  }
  const target = await waitFor({
    clock: ctx.clock,
    io: ctx.io,
    what: `RDS Proxy ${proxy.name}'s target ${id} to be registered`,
    resource: proxy.name,
    timeoutMs: 30 * 60_000,
    poll: async () => {
      const t = (await readProxy(ctx.aws, proxy.name))?.targets.find((x) => x.instanceId === id);
      return { done: !!t && t.state !== "REGISTERING", status: t?.state ?? "not registered", value: t };
    },
  });
  if (target && target.state !== "AVAILABLE") {
    ctx.io.event({
      type: "warning",
      message: `RDS Proxy ${proxy.name} cannot reach ${id} yet: ${target.reason ?? target.state}${target.description ? ` (${target.description})` : ""}`,
      hint: "ebdb status shows the proxy's target health; run ebdb up again once the cause is fixed.",
    });
  }
}

/**
 * Removes the proxy and what ebdb made for it, each only if it exists: the proxy (waiting until it is
 * gone), the role with its policy, the DB group's rule admitting the proxy's group, and that group (last:
 * while it exists, observe looks for the rest).
 */
export async function removeProxy(
  ctx: AwsCtx,
  opts: { dbSg: LiveSg | null; proxySg: LiveSg | null },
): Promise<boolean> {
  const names = proxyNames(ctx.desired);
  let removed = false;
  const proxy = await readProxy(ctx.aws, names.proxy);
  if (proxy) {
    if (proxy.status !== "deleting") {
      ctx.io.event({ type: "progress", message: `Deleting RDS Proxy ${names.proxy}`, resource: names.proxy });
      try {
        await ctx.aws.rds(new DeleteDBProxyCommand({ DBProxyName: names.proxy }));
      } catch (e) {
        if (!isAwsCode(e, "DBProxyNotFoundFault", "InvalidDBProxyStateFault")) throw e;
      }
    }
    await waitProxyGone(ctx, names.proxy);
    removed = true;
  }
  const role = await readProxyRole(ctx.aws, ctx.desired);
  if (role) {
    if (role.policy !== null) {
      try {
        await ctx.aws.iam(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: names.policy }));
      } catch (e) {
        if (!isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) throw e;
      }
    }
    try {
      await ctx.aws.iam(new DeleteRoleCommand({ RoleName: role.name }));
    } catch (e) {
      if (!isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) throw e;
    }
    removed = true;
  }
  if (opts.proxySg) {
    const sgId = opts.proxySg.id;
    const rules = (opts.dbSg?.ingress ?? []).flatMap((p) =>
      (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === sgId)
        ? [
            {
              IpProtocol: p.IpProtocol,
              FromPort: p.FromPort,
              ToPort: p.ToPort,
              UserIdGroupPairs: [{ GroupId: sgId }],
            },
          ]
        : [],
    );
    if (opts.dbSg && rules.length > 0) {
      try {
        await ctx.aws.ec2(
          new RevokeSecurityGroupIngressCommand({ GroupId: opts.dbSg.id, IpPermissions: rules }),
        );
      } catch (e) {
        if (!isAwsCode(e, "InvalidPermission.NotFound")) throw e;
      }
    }
    await deleteSecurityGroup(ctx, opts.proxySg);
    removed = true;
  }
  return removed;
}
