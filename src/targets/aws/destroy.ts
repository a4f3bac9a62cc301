import type { DBInstance } from "@aws-sdk/client-rds";
import { isEbdbError } from "../../errors.js";
import type { AwsCtx } from "./context.js";
import { all } from "./context.js";
import {
  MANAGED_PROPERTIES,
  NS_ENV,
  NS_SECRETS,
  readEnvironment,
  updateEnvironment,
  type LiveEnv,
  type OptionEdit,
  NS_LAUNCH,
} from "./eb.js";
import { deletePolicy, readRole } from "./iam.js";
import { blockedError, destroyBlockers, freeSnapshotNames } from "./destroy-checks.js";
import { deleteInstance, isRestoredFrom, listAllInstances, readInstances } from "./instances.js";
import { deleteAlarms, deleteTopic, readAlarms, readLagAlarms, topicArn } from "./monitoring.js";
import { deleteSecurityGroup, type LiveSg, readReferencingGroups, readSecurityGroups } from "./network.js";
import { removeAutoscaler, removeReaderZone } from "./autoscale-remove.js";
import { readAccount } from "./observe.js";
import { deleteParamGroup } from "./params.js";
import { proxyNames } from "./proxy.js";
import { removeProxy } from "./proxy-apply.js";
import { readEnvSecrets } from "./env-secrets.js";
import { readSecret, scheduleSecretDeletion } from "./secret.js";
import { readSnapshot } from "./snapshots.js";
import { deleteSubnetGroup, readSubnetGroup } from "./subnets.js";

function stamp(d: Date): string {
  return d.toISOString().slice(0, 16).replace(/[-:T]/g, "");
}

async function environmentOrNull(ctx: AwsCtx): Promise<LiveEnv | null> {
  try {
    return await readEnvironment(ctx.aws, ctx.desired.eb.application, ctx.desired.eb.environment);
  } catch (e) {
    if (isEbdbError(e) && e.code === "EB_ENVIRONMENT_NOT_FOUND") return null;
    throw e;
  }
}

/**
 * Removes everything ebdb made, in the order that leaves nothing dangling: the EB wiring (so the
 * application stops naming the database), the replicas and restored instances, the primary (after a
 * final snapshot unless skipped), then alarms, topic, groups, and the secret, which stays recoverable
 * for its window. Before its first change it checks everything that would stop it midway (see
 * destroyBlockers) and, if anything would, changes nothing and names each blocker.
 */
export async function destroyAll(ctx: AwsCtx, skipFinalSnapshot: boolean): Promise<void> {
  const d = ctx.desired;
  const id = d.identifier;
  const [{ primary, replicas }, everything, env] = await Promise.all([
    readInstances(ctx.aws, id),
    listAllInstances(ctx.aws),
    environmentOrNull(ctx),
  ]);
  const restored = everything.filter((i) => isRestoredFrom(i, d));
  const ours = new Set([primary, ...replicas, ...restored].map((i) => i?.DBInstanceIdentifier));
  const vpcId = env?.vpcId ?? primary?.DBSubnetGroup?.VpcId ?? null;
  const sgs = vpcId
    ? await readSecurityGroups(ctx.aws, vpcId, [
        d.network.dbSecurityGroup,
        d.config.names.clientSecurityGroup,
        proxyNames(d).sg,
      ])
    : new Map<string, LiveSg>();
  const client = sgs.get(d.config.names.clientSecurityGroup) ?? null;
  const blockers = destroyBlockers(
    {
      primary,
      replicas,
      restored,
      others: everything.filter((i) => !ours.has(i.DBInstanceIdentifier)),
      subnetGroup: d.network.subnetGroup,
      parameterGroup: d.parameterGroup.name,
      securityGroups: [...sgs.values()],
      referencing: vpcId ? await readReferencingGroups(ctx.aws, vpcId, [...sgs.values()]) : [],
    },
    skipFinalSnapshot,
  );
  if (blockers.length > 0) throw blockedError(blockers);
  // The read-replica autoscaler first (its schedule before all): no replica appears meanwhile.
  await removeAutoscaler(ctx.aws, id);
  await removeReaderZone(ctx.aws, id);
  const finals = skipFinalSnapshot
    ? new Map<string, string>()
    : await freeSnapshotNames(
        [primary, ...restored]
          .filter((i): i is DBInstance => i !== null && i.DBInstanceStatus !== "deleting")
          .map((i) => i.DBInstanceIdentifier!),
        stamp(ctx.clock.now()),
        async (name) => (await readSnapshot(ctx.aws, name)) !== null,
      );

  const envSecrets = await readEnvSecrets(ctx.aws, d, { poolUrl: true });
  const ourArns = Object.values(envSecrets).flatMap((s) => (s ? [s.arn] : []));
  if (env) {
    const remove: OptionEdit[] = [];
    // DB_* are ebdb's alone; the other names only when this configuration sets them (RDS_* may be a
    // coupled database's, PG* or DATABASE_URL the user's own), secret references only to ebdb's secrets.
    const ours = (k: string) => k.startsWith("DB_") || d.eb.properties.includes(k);
    for (const k of MANAGED_PROPERTIES) {
      if (k in env.properties && ours(k)) remove.push({ Namespace: NS_ENV, OptionName: k });
      if (k in env.secretRefs && (k.startsWith("DB_") || ourArns.includes(env.secretRefs[k])))
        remove.push({ Namespace: NS_SECRETS, OptionName: k });
    }
    const set: OptionEdit[] = [];
    if (client && (env.securityGroups.includes(client.id) || env.securityGroups.includes(client.name))) {
      const rest = env.securityGroups.filter((g) => g !== client.id && g !== client.name);
      set.push({ Namespace: NS_LAUNCH, OptionName: "SecurityGroups", Value: rest.join(",") });
    }
    ctx.io.event({
      type: "progress",
      message: `Removing the database settings from EB environment ${env.name}`,
    });
    await updateEnvironment(ctx, env, { set, remove });
    const role = await readRole(ctx.aws, env.instanceProfile, id);
    if (role?.policy) await deletePolicy(ctx.aws, role, id);
  }

  // Restored copies use the same groups, so they go too (with their own final snapshots). RDS Proxy
  // (with its role and group) goes meanwhile: the application no longer names it.
  await all([
    async () => {
      await removeProxy(ctx, {
        dbSg: sgs.get(d.network.dbSecurityGroup) ?? null,
        proxySg: sgs.get(proxyNames(d).sg) ?? null,
      });
    },
    ...replicas.map((r) => () => deleteInstance(ctx, r.DBInstanceIdentifier!, null)),
    ...restored.map(
      (r) => () => deleteInstance(ctx, r.DBInstanceIdentifier!, finals.get(r.DBInstanceIdentifier!) ?? null),
    ),
  ]);
  if (primary) {
    const final = finals.get(id) ?? null;
    await deleteInstance(ctx, id, final);
    ctx.io.event({
      type: "info",
      message: final ? `Deleted ${id}; its final snapshot is ${final}` : `Deleted ${id} (no final snapshot)`,
    });
  }

  const account = await readAccount(ctx.aws);
  // Adopted replicas keep their own names: their lag alarms (`<replica>-lag`) lack the prefix.
  const alarms = [...(await readAlarms(ctx.aws, id)), ...(await readLagAlarms(ctx.aws, id, replicas))];
  await deleteAlarms(
    ctx.aws,
    alarms.map((a) => a.AlarmName!),
  );
  await deleteTopic(
    ctx.aws,
    topicArn(account.partition, ctx.aws.settings.region, account.id, d.monitoring.topic),
  );
  // A group of the user's (DB_PARAMETER_GROUP_NAME) is theirs to keep.
  if (d.parameterGroup.managed) await deleteParamGroup(ctx, d.parameterGroup.name);
  if (await readSubnetGroup(ctx.aws, d.network.subnetGroup))
    await deleteSubnetGroup(ctx.aws, d.network.subnetGroup);
  const db = sgs.get(d.network.dbSecurityGroup);
  if (db) await deleteSecurityGroup(ctx, db);
  if (client) await deleteSecurityGroup(ctx, client);
  const secret = await readSecret(ctx.aws, d.secret.name);
  for (const s of [secret, ...Object.values(envSecrets)]) {
    if (s && (await scheduleSecretDeletion(ctx.aws, s))) {
      ctx.io.event({
        type: "info",
        message: `Secret ${s.name} is scheduled for deletion in 30 days; until then ebdb up restores it (aws secretsmanager restore-secret also does)`,
      });
    }
  }
  ctx.io.event({ type: "result", message: `Destroyed ${id} and everything ebdb made for it` });
}
