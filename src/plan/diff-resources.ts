import type { Change, ResourceKind } from "../model/change.js";
import type { DesiredAlarm } from "../model/desired-types.js";
import { type DiffContext, sameValue, show } from "./diff-context.js";
import { GENERATED_PASSWORD_LENGTH } from "../model/password.js";

function create(kind: ResourceKind, resource: string, reason: string, to?: unknown): Change {
  return { resource, kind, action: "create", to, impact: "none", reason };
}

/** The secret: created once, then kept (the password is never read back to compare). */
export function diffSecret(ctx: DiffContext): void {
  if (ctx.observed.secret !== null) return;
  const s = ctx.desired.secret;
  // RDS refuses a MasterUserPassword while it manages the password itself (ManageMasterUserPassword;
  // RDS API Reference, ModifyDBInstance): only a password the user gives turns that off, knowingly.
  const rdsSecret = ctx.observed.primary?.masterUserSecretArn;
  if (rdsSecret && s.generate) {
    ctx.refused.push(
      create(
        "secret",
        s.name,
        `RDS manages the master password of ${ctx.desired.identifier} in its own secret (${rdsSecret}), and refuses a password of ebdb's while it does. To hand the password to ebdb, set DB_MASTER_PASSWORD in config.env (single quotes): up then sets it, turning RDS's management off (RDS deletes its secret: whatever reads it must read ebdb's variables instead), and keeps it in ${s.name}`,
      ),
    );
    return;
  }
  ctx.changes.push(
    create(
      "secret",
      s.name,
      rdsSecret
        ? `Sets DB_MASTER_PASSWORD as the master password of ${ctx.desired.identifier}, turning off RDS's management of it (RDS deletes its secret ${rdsSecret}), and stores it in Secrets Manager as ${s.name}`
        : s.generate
          ? `Generates a ${GENERATED_PASSWORD_LENGTH}-character master password and stores it in Secrets Manager as ${s.name}`
          : `Stores DB_MASTER_PASSWORD in Secrets Manager as ${s.name}`,
    ),
  );
}

/** Subnet group and security groups (AWS only). */
export function diffNetwork(ctx: DiffContext): void {
  const { network } = ctx.desired;
  const { observed } = ctx;
  const port = ctx.desired.primary.port;
  if (observed.subnetGroup === null) {
    ctx.changes.push(
      create(
        "subnet-group",
        network.subnetGroup,
        "Creates the DB subnet group over the EB environment's private subnets (at least two availability zones)",
      ),
    );
  }
  const from =
    network.clientSecurityGroup !== null
      ? `security group ${network.clientSecurityGroup}`
      : "the EB instances' own security group";
  if (observed.dbSecurityGroup === null) {
    ctx.changes.push(
      create(
        "security-group",
        network.dbSecurityGroup,
        `Creates security group ${network.dbSecurityGroup}: admits port ${port} only from ${from}, never from an address range`,
      ),
    );
  } else if (observed.dbSecurityGroup && network.clientSecurityGroup && observed.clientSecurityGroup) {
    const client = observed.clientSecurityGroup;
    const admitted = observed.dbSecurityGroup.ingressFrom;
    if (!admitted.includes(client.id) && !admitted.includes(client.name)) {
      ctx.changes.push({
        resource: network.dbSecurityGroup,
        kind: "security-group-rule",
        action: "update",
        field: "ingressFrom",
        from: admitted,
        to: [network.clientSecurityGroup],
        impact: "none",
        reason: `Admits port ${port} from ${from} (online)`,
      });
    }
  }
  if (network.clientSecurityGroup !== null) {
    const attach: Change = {
      resource: ctx.desired.eb.environment,
      kind: "eb-environment",
      action: "update",
      field: "securityGroups",
      to: network.clientSecurityGroup,
      impact: "restart",
      reason: `Attaches security group ${network.clientSecurityGroup} to the EB instances: Elastic Beanstalk replaces them by a rolling update`,
    };
    if (observed.clientSecurityGroup === null) {
      ctx.changes.push(
        create(
          "security-group",
          network.clientSecurityGroup,
          `Creates security group ${network.clientSecurityGroup} for the EB instances; only members reach the database`,
        ),
        attach,
      );
    } else if (observed.clientSecurityGroup && !observed.clientSecurityGroup.attachedToEb) {
      ctx.changes.push(attach);
    }
  } else if (observed.clientSecurityGroup) {
    ctx.changes.push({
      resource: observed.clientSecurityGroup.name,
      kind: "security-group",
      action: "delete",
      impact: "restart",
      reason:
        "Detaches and deletes the client security group (DB_ACCESS uses the EB instances' own group now): Elastic Beanstalk replaces its instances by a rolling update",
    });
  }
}

/** The parameter group and each of its parameters. */
export function diffParameterGroup(ctx: DiffContext): void {
  const want = ctx.desired.parameterGroup;
  const have = ctx.observed.parameterGroup;
  if (have === undefined) return;
  if (!want.managed) {
    // The user's group (DB_PARAMETER_GROUP_NAME) is used as it is; it must exist to be attached.
    if (have === null)
      ctx.refused.push({
        resource: want.name,
        kind: "parameter-group",
        action: "update",
        impact: "none",
        reason: `DB_PARAMETER_GROUP_NAME names parameter group ${want.name}, which does not exist in this region: create it (family ${want.family}), or leave DB_PARAMETER_GROUP_NAME empty for ebdb's own`,
      });
    return;
  }
  const list = Object.entries(want.parameters).map(([k, p]) => `${k}=${p.value}`);
  if (have === null) {
    ctx.changes.push(
      create(
        "parameter-group",
        want.name,
        `Creates parameter group ${want.name} (${want.family}): ${list.join(", ")}${Object.entries(
          want.parameters,
        )
          .filter(([, p]) => p.why)
          .map(([k, p]) => `; ${k}: ${p.why}`)
          .join("")}`,
        {
          family: want.family,
          parameters: Object.fromEntries(Object.entries(want.parameters).map(([k, p]) => [k, p.value])),
        },
      ),
    );
    return;
  }
  if (have.family !== want.family) {
    ctx.changes.push({
      resource: want.name,
      kind: "parameter-group",
      action: "update",
      field: "family",
      from: have.family,
      to: want.family,
      impact: "none",
      reason: `A parameter group's family cannot change: ebdb makes a ${want.family} group with the same parameters and moves the instance to it with the upgrade`,
    });
    return;
  }
  for (const [key, p] of Object.entries(want.parameters)) {
    const current = have.parameters[key];
    if (current !== undefined && sameParameter(current, p.value)) continue;
    const reboot = p.applyMethod === "pending-reboot";
    ctx.changes.push({
      resource: want.name,
      kind: "parameter-group",
      action: "update",
      field: `parameters.${key}`,
      from: current ?? null,
      to: p.value,
      impact: reboot ? "restart" : "none",
      reason: reboot
        ? `Sets ${key}=${p.value}: a static parameter, it takes effect at the next reboot`
        : `Sets ${key}=${p.value} (dynamic, applies at once)${p.why ? `: ${p.why}` : ""}`,
    });
  }
}

/** Parameter values compare loosely, and comma lists (shared_preload_libraries) as sets that may hold more. */
function sameParameter(have: string, want: string): boolean {
  if (sameValue(have, want)) return true;
  if (!want.includes(",") && !have.includes(",")) return false;
  const h = new Set(have.split(",").map((s) => s.trim()));
  return want.split(",").every((s) => h.has(s.trim()));
}

/** The SNS topic, its e-mail subscription, and the alarms (AWS only). */
export function diffMonitoring(ctx: DiffContext, alarms: DesiredAlarm[]): void {
  const { monitoring } = ctx.desired;
  const topic = ctx.observed.topic;
  if (topic === null && monitoring.enabled) {
    ctx.changes.push(
      create(
        "topic",
        monitoring.topic,
        monitoring.email
          ? `Creates SNS topic ${monitoring.topic} for the alarms, with an e-mail subscription for ${monitoring.email} (AWS sends a confirmation e-mail)`
          : `Creates SNS topic ${monitoring.topic} for the alarms (set DB_ALARM_EMAIL to get them by e-mail)`,
      ),
    );
  } else if (topic && monitoring.email && !topic.subscriptions.includes(monitoring.email)) {
    ctx.changes.push({
      resource: monitoring.topic,
      kind: "topic",
      action: "update",
      field: "subscriptions",
      from: topic.subscriptions,
      to: [...topic.subscriptions, monitoring.email],
      impact: "none",
      reason: `Subscribes ${monitoring.email} to the alarms (AWS sends a confirmation e-mail to accept)`,
    });
  }
  const have = ctx.observed.alarms;
  if (have === undefined) return;
  const byName = new Map(have.map((a) => [a.name, a]));
  for (const a of alarms) {
    const h = byName.get(a.name);
    if (!h) {
      ctx.changes.push(
        create("alarm", a.name, `Creates alarm ${a.name}: ${a.description}`, { threshold: a.threshold }),
      );
    } else if (h.threshold !== a.threshold || h.instance !== a.instance) {
      ctx.changes.push({
        resource: a.name,
        kind: "alarm",
        action: "update",
        field: h.threshold !== a.threshold ? "threshold" : "instance",
        from: h.threshold !== a.threshold ? h.threshold : h.instance,
        to: h.threshold !== a.threshold ? a.threshold : a.instance,
        impact: "none",
        reason: `Updates alarm ${a.name}: ${a.description}`,
      });
    }
  }
  const wanted = new Set(alarms.map((a) => a.name));
  const prefix = `${ctx.desired.identifier}-`;
  for (const h of have) {
    if (wanted.has(h.name) || !h.name.startsWith(prefix)) continue;
    ctx.changes.push({
      resource: h.name,
      kind: "alarm",
      action: "delete",
      impact: "none",
      reason: `Deletes alarm ${h.name}: it watches something the configuration no longer has`,
    });
  }
}

/** RDS Proxy (AWS only). */
export function diffProxy(ctx: DiffContext): void {
  const want = ctx.desired.proxy;
  const have = ctx.observed.proxy;
  if (have === undefined) return;
  if (want && have === null) {
    ctx.changes.push(
      create(
        "proxy",
        want.name,
        `Creates RDS Proxy ${want.name} in front of the primary (pooled connections, authenticated from the secret)`,
      ),
    );
  } else if (!want && have) {
    ctx.changes.push({
      resource: have.name,
      kind: "proxy",
      action: "delete",
      impact: "restart",
      reason: `Deletes RDS Proxy ${have.name}: connections through it drop, and the application is pointed at the primary`,
    });
  }
}

/**
 * The EB environment's wiring: its properties, the secret reference and the instance role's policy.
 * `endpointsChange` is set when the plan creates, renames or removes an endpoint the properties name.
 */
export function diffEb(ctx: DiffContext, endpointsChange: string[]): void {
  const { eb } = ctx.desired;
  const have = ctx.observed.eb;
  if (have === undefined) return;
  // Secret variables the platform cannot take are the target's refusal, not a change to make.
  const settable =
    have?.secretsSupported === false ? eb.properties.filter((p) => !(p in eb.secrets)) : eb.properties;
  const props = settable.join(", ");
  /** Which of `names` are environment secrets, said once in a reason. */
  const asSecrets = (names: string[]) => {
    const secret = names.filter((p) => p in eb.secrets);
    return secret.length > 0
      ? ` (${secret.join(", ")} as environment secrets: references to Secrets Manager secrets, never plain properties)`
      : "";
  };
  const used = new Set(Object.values(eb.secrets));
  const secretsRead = [
    ctx.desired.secret.name,
    ...Object.entries(ctx.desired.secret.variables)
      .filter(([which]) => used.has(which as keyof typeof ctx.desired.secret.variables))
      .map(([, name]) => name),
  ];
  const policy = create(
    "iam-policy",
    `${eb.environment} instance role`,
    `Allows the EB instances secretsmanager:GetSecretValue on the database's secrets only (${secretsRead.join(", ")})`,
  );
  if (have === null) {
    ctx.changes.push(policy, {
      resource: eb.environment,
      kind: "eb-environment",
      action: "update",
      field: "properties",
      to: eb.properties,
      impact: "restart",
      reason: `Sets ${props} on EB environment ${eb.environment}${asSecrets(settable)}; Elastic Beanstalk restarts the application to load them`,
    });
    return;
  }
  if (!have.instanceRolePolicy) ctx.changes.push(policy);
  const missing = settable.filter((p) => !(p in have.properties) && !(p in have.secretRefs));
  if (missing.length > 0 || endpointsChange.length > 0) {
    const what = missing.length > 0 ? missing : endpointsChange;
    ctx.changes.push({
      resource: eb.environment,
      kind: "eb-environment",
      action: "update",
      field: "properties",
      from: null,
      to: what,
      impact: "restart",
      reason: `Sets ${show(what)} on EB environment ${eb.environment}${asSecrets(what)}; Elastic Beanstalk restarts the application to load them`,
    });
  }
}
