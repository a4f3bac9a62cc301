import type { Change } from "../../model/change.js";
import type { Desired } from "../../model/desired-types.js";
import { NS_SECRETS, wiringEdits } from "./eb.js";
import { envSecretDrift, existingArns } from "./env-secrets-drift.js";
import { alarmDrift, alarmInput, alarmsForReplicas } from "./monitoring.js";
import { ingressDrift } from "./network.js";
import type { AwsLive } from "./observe.js";
import { admits, poolerEndpoint, proxyDrift } from "./proxy.js";
import { restoredPasswordWords } from "./restored-password.js";
import { sourceGroupId } from "./observe.js";
import { type SecretDoc, wantedDoc } from "./secret.js";
import { subnetGroupFits } from "./subnets.js";
import { replicaEndpoints, wantedWiring } from "./wiring.js";

function update(
  resource: string,
  kind: Change["kind"],
  field: string,
  reason: string,
  from?: unknown,
  to?: unknown,
): Change {
  return { resource, kind, action: "update", field, from, to, impact: "none", reason };
}

/**
 * What differs in the AWS-only resources beyond what the generic diff sees: the secret's content, the
 * subnet group's subnets, rules of the DB security group, alarm settings, EB property values and the
 * DB_PASSWORD reference, and static parameters waiting for a reboot. Never carries a secret's value.
 */
export function driftOf(live: AwsLive, desired: Desired): Change[] {
  const out: Change[] = [];
  const primary = live.instances.primary;
  const host = primary?.Endpoint?.Address ?? null;

  // The secret follows the database (host, port, names); the password is compared, never shown.
  const doc = live.secret && !live.secret.deleted ? live.secret.doc : null;
  const configured = desired.config.masterPassword?.reveal() ?? null;
  if (live.secret && !live.secret.deleted && !doc) {
    out.push(
      update(
        desired.secret.name,
        "secret",
        "value",
        `Rewrites secret ${desired.secret.name} in the JSON layout RDS uses`,
      ),
    );
  } else if (doc && host) {
    const want = wantedDoc(desired, doc.password, host);
    const fields = (Object.keys(want) as (keyof SecretDoc)[]).filter(
      (k) => k !== "password" && String(doc[k]) !== String(want[k]),
    );
    if (fields.length > 0) {
      out.push(
        update(
          desired.secret.name,
          "secret",
          "value",
          `Updates ${fields.join(", ")} in secret ${desired.secret.name} to match the database`,
          fields,
        ),
      );
    }
    if (configured !== null && configured !== doc.password) {
      const restored = restoredPasswordWords(live.restored ?? []);
      out.push(
        update(
          desired.identifier,
          "instance",
          "masterPassword",
          `Sets the master password to DB_MASTER_PASSWORD on ${desired.identifier}${restored.on} (RDS applies it at once; open connections stay) and stores it in the secret${restored.kept}`,
        ),
      );
    }
  }

  if (live.subnetGroup && !subnetGroupFits(live.subnetGroup, live.vpcId, live.env.dbSubnets)) {
    out.push(
      update(
        desired.network.subnetGroup,
        "subnet-group",
        "subnetIds",
        live.env.dbSubnets.length > 0
          ? `Moves the subnet group to the EB environment's DBSubnets (${live.env.dbSubnets.join(", ")})`
          : `Moves the subnet group to private subnets of ${live.vpcId} in at least two availability zones`,
        Object.keys(live.subnetGroup.subnets),
      ),
    );
  }

  const source = sourceGroupId(live, desired);
  if (live.dbSg && source) {
    // The proxy's group is admitted too while it exists (proxy-apply.ts adds and removes that rule).
    const keep = live.proxySg ? [live.proxySg.id] : [];
    const { missing, extra } = ingressDrift(live.dbSg, desired.primary.port, source, keep);
    if (missing) {
      out.push(
        update(
          desired.network.dbSecurityGroup,
          "security-group-rule",
          "ingressFrom",
          `Admits port ${desired.primary.port} from ${source} (online)`,
        ),
      );
    }
    if (extra.length > 0) {
      const what = extra.flatMap((p) => [
        ...(p.IpRanges ?? []).map((r) => r.CidrIp),
        ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
        ...(p.UserIdGroupPairs ?? []).map((g) => g.GroupId),
        ...(p.PrefixListIds ?? []).map((g) => g.PrefixListId),
      ]);
      out.push(
        update(
          desired.network.dbSecurityGroup,
          "security-group-rule",
          "extraRules",
          `Revokes rules that admit other sources (${what.join(", ")}): only ${source} may reach the database`,
          what,
          [],
        ),
      );
    }
  }

  const names = live.instances.replicas.map((r) => r.DBInstanceIdentifier!);
  const byName = new Map(live.alarms.map((a) => [a.AlarmName!, a]));
  for (const a of alarmsForReplicas(desired, names)) {
    const have = byName.get(a.name);
    if (!have) continue;
    const fields = alarmDrift(have, alarmInput(desired, a, live.topicArn));
    // A new threshold or instance is the generic diff's change; the put that makes it sets everything.
    if (fields.length > 0 && !fields.includes("threshold") && !fields.includes("instance"))
      out.push(
        update(
          a.name,
          "alarm",
          fields[0],
          `Updates alarm ${a.name} (${fields.join(", ")}): ${a.description}`,
        ),
      );
  }

  out.push(
    ...proxyDrift(live.proxy, desired, {
      secretArn: live.secret && !live.secret.deleted ? live.secret.arn : null,
      primary: primary?.DBInstanceIdentifier ?? null,
      sgId: live.proxySg?.id ?? null,
      admitted: admits(live.dbSg, desired.primary.port, live.proxySg?.id ?? null),
    }),
  );
  const pooler = poolerEndpoint(live.proxy, desired);
  const secrets = envSecretDrift(live, desired, configured ?? doc?.password ?? null, host, pooler);
  out.push(...secrets.changes);
  const want = wantedWiring(desired, live.env, {
    endpoints: {
      primary: host,
      replicas: replicaEndpoints(live.instances.replicas),
      pooler,
    },
    // A secret this plan creates stands in by its name (the drift never reaches AWS).
    envSecretArns: {
      password: desired.secret.variables.password,
      url: desired.secret.variables.url,
      jdbc: desired.secret.variables.jdbc,
      poolUrl: desired.secret.variables.poolUrl,
      ...existingArns(live.envSecrets),
    },
    secretsSupported: live.secretsSupported,
    clientSg: null,
  });
  const edits = wiringEdits(live.env, want);
  const touched = [...edits.set, ...edits.remove].map((o) => o.OptionName);
  // Missing properties are the generic diff's; here only values that are wrong, or in the wrong place.
  const wrong = [...new Set(touched.filter((k) => k in live.env.properties || k in live.env.secretRefs))];
  if (wrong.length > 0) {
    const secretMove = [...edits.set, ...edits.remove].some((o) => o.Namespace === NS_SECRETS);
    out.push({
      resource: desired.eb.environment,
      kind: "eb-environment",
      action: "update",
      field: "propertyValues",
      to: wrong,
      impact: "restart",
      reason: `Corrects ${wrong.join(", ")} on EB environment ${desired.eb.environment}${
        secretMove ? " (the secret variables as references to their Secrets Manager secrets)" : ""
      }; Elastic Beanstalk restarts the application to load them`,
    });
  }
  if (secrets.reload.length > 0) {
    out.push({
      resource: desired.eb.environment,
      kind: "eb-environment",
      action: "update",
      field: "reload",
      to: secrets.reload,
      impact: "restart",
      reason: `Restarts the application servers of EB environment ${desired.eb.environment} so they load the current ${secrets.reload.join(", ")}: Elastic Beanstalk reads secrets only when it deploys`,
    });
  }

  for (const i of [primary, ...live.instances.replicas]) {
    if (i?.DBParameterGroups?.[0]?.ParameterApplyStatus === "pending-reboot") {
      out.push({
        resource: i.DBInstanceIdentifier!,
        kind: i === primary ? "instance" : "replica",
        action: "update",
        field: "reboot",
        impact: "restart",
        reason: `Reboots ${i.DBInstanceIdentifier} so static parameters take effect (only with --apply-immediately; otherwise at the next reboot)`,
      });
    }
  }
  return out;
}
