import type { DBInstance } from "@aws-sdk/client-rds";
import type { Change, Plan, ResourceKind } from "../../model/change.js";
import { desiredReplica, replicaIndex } from "../../model/desired.js";
import type { DesiredInstance } from "../../model/desired-types.js";
import { autoscalingOn } from "../../plan/diff-autoscaler.js";
import { deployAutoscaler } from "./autoscale-deploy.js";
import { removeAutoscaler, removeReaderZone } from "./autoscale-remove.js";
import type { AwsCtx } from "./context.js";
import { all } from "./context.js";
import { syncApp } from "./app-sync.js";
import { readEnvironment, updateEnvironment, wiringEdits } from "./eb.js";
import {
  createPrimary,
  createReplica,
  deleteInstance,
  READY,
  readInstances,
  replicaIndexOf,
  replicaZone,
  waitReady,
} from "./instances.js";
import { freshChanges, isModifyField, modifyInstance, rebootInstance } from "./modify.js";
import { alarmsForReplicas, ensureAlarms, ensureTopic } from "./monitoring.js";
import { deleteSecurityGroup } from "./network.js";
import type { AwsLive } from "./observe.js";
import { poolerEndpoint } from "./proxy.js";
import { ensureProxy, removeProxy } from "./proxy-apply.js";
import { restoreIfReplacing, replaceForEncryption } from "./replace.js";
import { putDoc, sameDoc, scheduleSecretDeletion, wantedDoc } from "./secret.js";
import { EB_RDS_CA_PATH } from "./rds-ca.js";
import { type NetworkState, networkStep, paramsStep, type SecretState, secretStep } from "./steps.js";
import { Tracker } from "./tracker.js";
import { replicaEndpoints, wantedWiring } from "./wiring.js";

export interface ApplyOptions {
  /** Disruptive changes now rather than in the maintenance window. */
  applyImmediately: boolean;
}

const NETWORK: ResourceKind[] = ["security-group", "security-group-rule", "subnet-group"];
const REPLACE_FIELDS = ["storage.encrypted", "storage.kmsKeyId"];
/** Changes after which an instance reboots (with --apply-immediately) so static parameters take effect. */
const REBOOTS = ["reboot", "parameterGroup"];

function kindIs(...kinds: ResourceKind[]) {
  return (c: Change) => kinds.includes(c.kind);
}

/** The replicas there will be once the plan is made (for their lag alarms and the EB wiring). */
function replicasAfter(live: AwsLive, plan: Plan): string[] {
  const names = new Set(live.instances.replicas.map((r) => r.DBInstanceIdentifier!));
  for (const c of plan.changes) {
    if (c.kind !== "replica") continue;
    if (c.action === "create") names.add(c.resource);
    if (c.action === "delete") names.delete(c.resource);
  }
  return [...names];
}

/**
 * Makes the plan on AWS. Independent work runs concurrently: the secret, network and parameter
 * group first; then the database (primary, then its replicas in parallel), the topic and alarms, and
 * the instance role's policy; then the secret's content and the EB wiring, which need the endpoints.
 * Every step reads before it writes, so a run after an interruption picks up where the last stopped.
 */
export async function applyAws(ctx: AwsCtx, live: AwsLive, plan: Plan, opts: ApplyOptions): Promise<number> {
  const d = ctx.desired;
  const t = new Tracker(ctx, plan.changes);

  const jsonSecret = (c: Change) => c.kind === "secret" && c.resource === d.secret.name;
  const [secret, net, params] = (await all<unknown>([
    () =>
      t.run(
        (c) => (jsonSecret(c) && c.field !== "value") || c.field === "masterPassword",
        () => secretStep(ctx, live),
      ),
    () =>
      t.run(
        (c) => NETWORK.includes(c.kind) && c.action !== "delete",
        () => networkStep(ctx, live),
      ),
    () => t.run(kindIs("parameter-group"), () => paramsStep(ctx, live)),
  ])) as [SecretState, NetworkState, { staticChanged: boolean }];

  const replicaNames = replicasAfter(live, plan);
  let env = live.env;
  // Creating instances takes many minutes: meanwhile EB takes what does not need their endpoints nor
  // the secrets (the client security group, a rolling replacement of its instances, the plain names),
  // so only the hosts and the secret variables are left for the end.
  const creating =
    !live.instances.primary || plan.changes.some((c) => c.kind === "replica" && c.action === "create");
  const early = async () => {
    const want = wantedWiring(d, env, {
      endpoints: { primary: null, replicas: null },
      envSecretArns: {},
      secretsSupported: live.secretsSupported,
      clientSg: net.clientSg ?? live.clientSg,
    });
    const edits = wiringEdits(env, want);
    if (edits.set.length === 0 && edits.remove.length === 0) return;
    await updateEnvironment(ctx, env, edits);
    env = await readEnvironment(ctx.aws, env.application, env.name);
  };
  await all<unknown>([
    () => databaseStep(ctx, t, live, plan, { secret, net, staticChanged: params.staticChanged }, opts),
    () =>
      t.run(kindIs("topic", "alarm"), async () => {
        // DB_ALARMS_ENABLED=false: no topic is made, and ebdb's alarms (if any) go.
        const arn = d.monitoring.enabled ? await ensureTopic(ctx, live.topic) : null;
        await ensureAlarms(ctx, live.alarms, alarmsForReplicas(d, replicaNames), arn);
      }),
    ...(creating
      ? [() => t.run((c) => c.kind === "eb-environment" && c.field === "securityGroups", early)]
      : []),
  ]);

  const now = await readInstances(ctx.aws, d.identifier);
  const host = now.primary?.Endpoint?.Address ?? "";
  await t.run(jsonSecret, async () => {
    const want = wantedDoc(d, secret.doc.password, host);
    if (host && !sameDoc(secret.doc, want)) await putDoc(ctx.aws, secret.arn, want, secret.versionId);
  });
  // RDS Proxy in front of the primary, once it and the secret are there; the EB wiring then names it.
  let pooler = poolerEndpoint(live.proxy, d);
  const proxyMade = (c: Change) => c.kind === "proxy" && c.action !== "delete";
  const proxyGone = (c: Change) => c.kind === "proxy" && c.action === "delete";
  await t.run(proxyMade, async () => {
    if (t.matching(proxyMade).length === 0) return;
    const source = net.clientSg?.id ?? live.ebSecurityGroupIds[0];
    if (!d.proxy || !host || !source) return;
    pooler = await ensureProxy(ctx, {
      secretArn: secret.arn,
      vpcId: live.vpcId,
      dbSg: net.dbSg,
      sourceSgId: source,
      proxySg: live.proxySg,
    });
  });
  const varNames = Object.values(d.secret.variables);
  const firstWiring = !("DATABASE_URL" in env.secretRefs);
  await t.run(
    (c) =>
      c.kind === "eb-environment" ||
      c.kind === "iam-policy" ||
      (c.kind === "secret" && varNames.includes(c.resource)),
    () =>
      syncApp(
        ctx,
        { env, envSecrets: live.envSecrets, role: live.role, secretsSupported: live.secretsSupported },
        {
          endpoints: { primary: host || null, replicas: replicaEndpoints(now.replicas), pooler },
          password: secret.doc.password,
          secretArn: secret.arn,
          clientSg: net.clientSg ?? live.clientSg,
          manageSecurityGroups: true,
        },
      ),
  );
  if (firstWiring && live.secretsSupported && d.config.engine === "postgres") {
    ctx.io.event({
      type: "info",
      message: `DATABASE_URL and PGSSLROOTCERT name the RDS CA bundle at ${EB_RDS_CA_PATH} on the EB instances: run \`ebdb eb-files\` in the application's directory and deploy it with the application, so the file is there.`,
    });
  }
  // The application no longer names the proxy: now it can go (with its role, group and URL secret).
  await t.run(proxyGone, async () => {
    if (d.proxy || t.matching(proxyGone).length === 0) return;
    await removeProxy(ctx, { dbSg: live.dbSg, proxySg: live.proxySg });
    await scheduleSecretDeletion(ctx.aws, live.envSecrets.poolUrl);
  });
  await t.run(
    (c) => c.kind === "security-group" && c.action === "delete",
    async () => {
      if (live.clientSg && d.network.clientSecurityGroup === null)
        await deleteSecurityGroup(ctx, live.clientSg);
    },
  );
  // The read-replica autoscaler last: it acts on the replicas and network made above.
  await t.run(kindIs("autoscaler"), async () => {
    if (t.matching(kindIs("autoscaler")).length === 0) return;
    if (!autoscalingOn(d.config.replicas)) {
      await removeAutoscaler(ctx.aws, d.identifier);
      await removeReaderZone(ctx.aws, d.identifier);
      return;
    }
    await deployAutoscaler(ctx, live.autoscaler.live, {
      account: live.account,
      vpcId: live.vpcId,
      zones: net.zones,
      dbSecurityGroupId: net.dbSg.id,
    });
  });
  const rest = t.rest();
  t.finish(rest);
  return plan.changes.length;
}

interface Prereqs {
  secret: SecretState;
  net: NetworkState;
  staticChanged: boolean;
}

async function databaseStep(
  ctx: AwsCtx,
  t: Tracker,
  live: AwsLive,
  plan: Plan,
  pre: Prereqs,
  opts: ApplyOptions,
): Promise<void> {
  const d = ctx.desired;
  const id = d.identifier;
  const dbSgId = pre.net.dbSg.id;
  let primary: DBInstance | null = live.instances.primary;
  let replaced = false;
  await t.run(
    (c) => c.kind === "instance" && c.field !== "masterPassword",
    async () => {
      const mine = plan.changes.filter(
        (c) => c.kind === "instance" && c.resource === id && c.action === "update",
      );
      if (!primary) {
        // An interrupted replacement left the data in a snapshot: restore it rather than start empty.
        if (!(await restoreIfReplacing(ctx, pre.net)))
          await createPrimary(ctx, dbSgId, pre.secret.doc.password);
        primary = await waitReady(ctx, id);
        await fixAfterCreate(ctx, d.primary, primary, dbSgId);
        return;
      }
      if (mine.some((c) => REPLACE_FIELDS.includes(c.field ?? ""))) {
        await replaceForEncryption(ctx, live, pre.net);
        replaced = true;
        primary = await waitReady(ctx, id);
        await fixAfterCreate(ctx, d.primary, primary, dbSgId);
        return;
      }
      const mods = mine.filter((c) => c.field === "securityGroups" || isModifyField(c.field));
      if (mods.length > 0)
        await modifyInstance(ctx, d.primary, mods, { applyImmediately: opts.applyImmediately, dbSgId });
      // A parameter group attached to a running instance applies its static parameters at a reboot.
      await rebootIfNeeded(
        ctx,
        id,
        mine.some((c) => REBOOTS.includes(c.field ?? "")) || pre.staticChanged,
        opts,
      );
      primary = await waitReady(ctx, id);
    },
  );
  // A replacement removed the replicas (they were copies of the old volume): make them anew.
  const replicaPlan: Plan = replaced
    ? {
        ...plan,
        changes: d.replicas.map((r) => ({
          resource: r.name,
          kind: "replica",
          action: "create",
          impact: "none",
          reason: "",
        })),
      }
    : plan;
  const replicaLive: AwsLive = replaced ? { ...live, instances: { primary, replicas: [] } } : live;
  await t.run(kindIs("replica"), () => replicasStep(ctx, replicaLive, replicaPlan, primary, pre, opts));
}

async function rebootIfNeeded(ctx: AwsCtx, id: string, needed: boolean, opts: ApplyOptions): Promise<void> {
  if (!needed) return;
  if (opts.applyImmediately) {
    await rebootInstance(ctx, id);
    return;
  }
  ctx.io.event({
    type: "info",
    message: `${id}: static parameters take effect at its next reboot (the maintenance window, or ebdb up --apply-immediately now)`,
  });
}

async function replicasStep(
  ctx: AwsCtx,
  live: AwsLive,
  plan: Plan,
  primary: DBInstance | null,
  pre: Prereqs,
  opts: ApplyOptions,
): Promise<void> {
  const d = ctx.desired;
  const dbSgId = pre.net.dbSg.id;
  const ofReplicas = plan.changes.filter((c) => c.kind === "replica");
  // A replica `ebdb adopt` tagged keeps its own name: its index comes from its tags.
  const wantOf = (name: string): DesiredInstance => {
    const have = live.instances.replicas.find((r) => r.DBInstanceIdentifier === name);
    const n = have ? replicaIndexOf(d.identifier, have) : replicaIndex(d.identifier, name);
    return { ...(d.replicas.find((r) => r.name === name) ?? desiredReplica(d.config, "aws", n ?? 1)), name };
  };
  const tasks: (() => Promise<unknown>)[] = [];
  for (const c of ofReplicas.filter((x) => x.action === "delete"))
    tasks.push(() => deleteInstance(ctx, c.resource, null));
  for (const c of ofReplicas.filter((x) => x.action === "create")) {
    tasks.push(async () => {
      const want = wantOf(c.resource);
      const zone = replicaZone(pre.net.zones, primary?.AvailabilityZone, want.azIndex ?? 0);
      await createReplica(ctx, want, dbSgId, zone);
      const inst = await waitReady(ctx, want.name);
      await fixAfterCreate(ctx, want, inst, dbSgId);
    });
  }
  const updated = new Map<string, Change[]>();
  for (const c of ofReplicas.filter((x) => x.action === "update"))
    updated.set(c.resource, [...(updated.get(c.resource) ?? []), c]);
  for (const r of live.instances.replicas) {
    const name = r.DBInstanceIdentifier!;
    if (ofReplicas.some((c) => c.resource === name && c.action === "delete")) continue;
    const changes = updated.get(name) ?? [];
    tasks.push(async () => {
      const mods = changes.filter((c) => c.field === "securityGroups" || isModifyField(c.field));
      if (mods.length > 0)
        await modifyInstance(ctx, wantOf(name), mods, { applyImmediately: opts.applyImmediately, dbSgId });
      await rebootIfNeeded(
        ctx,
        name,
        changes.some((c) => REBOOTS.includes(c.field ?? "")) || pre.staticChanged,
        opts,
      );
      // One still being created by an interrupted run: the EB wiring needs its endpoint.
      if (!READY.has(r.DBInstanceStatus ?? "")) await waitReady(ctx, name);
    });
  }
  await all(tasks);
}

/**
 * Settings a create call cannot take (a replica's maintenance window, for one) are set right after,
 * so the next plan finds nothing to change.
 */
export async function fixAfterCreate(
  ctx: AwsCtx,
  want: DesiredInstance,
  inst: DBInstance,
  dbSgId: string,
): Promise<void> {
  const fixes = freshChanges(ctx, want, inst, dbSgId).filter(
    (c) => c.impact === "none" && (c.field === "securityGroups" || isModifyField(c.field)),
  );
  if (fixes.length > 0) await modifyInstance(ctx, want, fixes, { applyImmediately: true, dbSgId });
}
