import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { DescribeSecurityGroupsCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { systemError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import type { Observed, ObservedAutoscaler } from "../../model/observed.js";
import { REDACTION } from "../../model/secret.js";
import { type Coupling, readCoupling } from "./adopt-coupling.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type LiveAutoscaler, observedAutoscaler, readAutoscaler } from "./autoscale-observe.js";
import { all } from "./context.js";
import { driftOf } from "./drift.js";
import { type LiveRestored, restoredForPassword } from "./restored-password.js";
import { ENV_SECRET_VALUES, refusedOf } from "./env-secrets-drift.js";
import { type LiveEnv, platformSupportsSecrets, readEnvironment } from "./eb.js";
import { type LiveEnvSecrets, readEnvSecret, readEnvSecrets } from "./env-secrets.js";
import { type LiveRole, policyMatches, readRole } from "./iam.js";
import { type LiveInstances, readInstances, toObserved } from "./instances.js";
import { type LiveTopic, readAlarms, readLagAlarms, readTopic, topicArn } from "./monitoring.js";
import { type LiveSg, readSecurityGroups } from "./network.js";
import { type LiveParamGroup, readParamGroup } from "./params.js";
import { type LiveProxyState, observedProxy, proxyNames, readProxyState } from "./proxy.js";
import { type LiveSecret, readSecret } from "./secret.js";
import { type LiveSubnetGroup, readSubnetGroup } from "./subnets.js";

export interface Account {
  id: string;
  arn: string;
  partition: string;
}

/** Everything ebdb reads from AWS about one configuration, in shapes the steps work with. */
export interface AwsLive {
  account: Account;
  region: string;
  env: LiveEnv;
  vpcId: string;
  /** The EB instances' own security groups (the one EB manages). */
  ebSecurityGroupIds: string[];
  instances: LiveInstances;
  secret: LiveSecret | null;
  /** The secrets EB's secret variables point at (password alone, DATABASE_URL). */
  envSecrets: LiveEnvSecrets;
  subnetGroup: LiveSubnetGroup | null;
  dbSg: LiveSg | null;
  clientSg: LiveSg | null;
  params: LiveParamGroup | null;
  topicArn: string;
  topic: LiveTopic | null;
  alarms: MetricAlarm[];
  role: LiveRole | null;
  /** The read-replica autoscaler (autoscale-observe.ts), and the planner's view of it. */
  autoscaler: { live: LiveAutoscaler; observed: ObservedAutoscaler };
  /** Whether the EB platform resolves secret ARNs into variables. */
  secretsSupported: boolean;
  /** The ARN of the configured KMS key (DB_KMS_KEY_ID may be an alias or id); null when none is configured. */
  kmsKeyArn: string | null;
  /** The EB environment's coupled database (EB made it in its stack), when it has one. */
  coupling: Coupling | null;
  /** RDS Proxy (DB_RDS_PROXY_ENABLED) and its role, and its security group. */
  proxy: LiveProxyState;
  proxySg: LiveSg | null;
  /** While DB_MASTER_PASSWORD differs from the secret's: the restored instances that get it too. */
  restored?: LiveRestored[];
}

/** The ARN behind a key id, alias or ARN, or null when KMS does not know it. */
async function keyArn(aws: AwsClients, ref: string | null): Promise<string | null> {
  if (!ref) return null;
  try {
    const r = await aws.kms(new DescribeKeyCommand({ KeyId: ref }));
    return r.KeyMetadata?.Arn ?? null;
  } catch (e) {
    if (isAwsCode(e, "NotFoundException")) return null;
    throw e;
  }
}

export async function readAccount(aws: AwsClients): Promise<Account> {
  const r = await aws.sts(new GetCallerIdentityCommand({}));
  const arn = r.Arn ?? "";
  return { id: r.Account ?? "", arn, partition: arn.split(":")[1] || "aws" };
}

async function defaultVpc(aws: AwsClients): Promise<string> {
  const r = await aws.ec2(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  const id = r.Vpcs?.[0]?.VpcId;
  if (!id) {
    throw systemError(
      "AWS_NO_VPC",
      "The EB environment names no VPC (aws:ec2:vpc VPCId) and the region has no default VPC.",
      "Set the VPC of the EB environment, then run the command again.",
    );
  }
  return id;
}

/**
 * The security group EB made for the environment's instances: tagged with the environment's name (EB's
 * CloudFormation stack tags it), else the groups its launch configuration lists that are not ours.
 */
async function ebManagedGroups(
  aws: AwsClients,
  env: LiveEnv,
  vpcId: string,
  ours: string[],
): Promise<string[]> {
  const r = await aws.ec2(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: "vpc-id", Values: [vpcId] },
        { Name: "tag:elasticbeanstalk:environment-name", Values: [env.name] },
      ],
    }),
  );
  const tagged = (r.SecurityGroups ?? []).filter((g) => !ours.includes(g.GroupName!)).map((g) => g.GroupId!);
  return tagged.length > 0 ? tagged : env.securityGroups.filter((g) => g.startsWith("sg-"));
}

/**
 * Reads the live state in two rounds of concurrent calls: first what needs no other answer (account,
 * EB environment, instances, secret, groups, alarms), then what depends on them (security groups in
 * the environment's VPC, the instance role, the topic, the platform).
 */
export async function gather(aws: AwsClients, desired: Desired): Promise<AwsLive> {
  const id = desired.identifier;
  const [account, env, instances, secret, envSecrets, subnetGroup, params, alarms, proxy] =
    (await all<unknown>([
      () => readAccount(aws),
      () => readEnvironment(aws, desired.eb.application, desired.eb.environment),
      () => readInstances(aws, id),
      () => readSecret(aws, desired.secret.name),
      () => readEnvSecrets(aws, desired),
      () => readSubnetGroup(aws, desired.network.subnetGroup),
      () => readParamGroup(aws, desired.parameterGroup.name),
      () => readAlarms(aws, id),
      () => (desired.proxy ? readProxyState(aws, desired) : Promise.resolve(null)),
    ])) as [
      Account,
      LiveEnv,
      LiveInstances,
      LiveSecret | null,
      LiveEnvSecrets,
      LiveSubnetGroup | null,
      LiveParamGroup | null,
      MetricAlarm[],
      LiveProxyState | null,
    ];

  const vpcId = env.vpcId ?? (await defaultVpc(aws));
  const arn = topicArn(account.partition, aws.settings.region, account.id, desired.monitoring.topic);
  const names = [
    desired.network.dbSecurityGroup,
    desired.config.names.clientSecurityGroup,
    proxyNames(desired).sg,
  ];
  // The platform matters only while DB_PASSWORD is not already a secret reference to our secret.
  const refOk = envSecrets.password !== null && env.secretRefs.DB_PASSWORD === envSecrets.password.arn;
  const kmsRef =
    desired.primary.storage.encrypted && instances.primary ? desired.primary.storage.kmsKeyId : null;
  const [sgs, ebSgs, role, topic, supported, kmsKeyArn, coupling] = (await all<unknown>([
    () => readSecurityGroups(aws, vpcId, names),
    () =>
      desired.network.accessMode === "eb-sg" ? ebManagedGroups(aws, env, vpcId, names) : Promise.resolve([]),
    () => readRole(aws, env.instanceProfile, id),
    () => readTopic(aws, arn, desired.monitoring.email !== null),
    () => (refOk ? Promise.resolve(true) : platformSupportsSecrets(aws, env.platformArn)),
    () => keyArn(aws, kmsRef),
    () => readCoupling(aws, env),
  ])) as [
    Map<string, LiveSg>,
    string[],
    LiveRole | null,
    LiveTopic | null,
    boolean,
    string | null,
    Coupling | null,
  ];

  // With the proxy off, what it left is looked for only where ebdb's proxy leaves a trace: its security
  // group (made before the proxy, deleted last) or the EB variables naming it.
  let proxyState = proxy;
  const traces =
    sgs.has(proxyNames(desired).sg) ||
    "DB_POOL_HOST" in env.properties ||
    "DATABASE_POOL_URL" in env.secretRefs;
  if (!proxyState && traces) {
    [proxyState, envSecrets.poolUrl] = await Promise.all([
      readProxyState(aws, desired),
      readEnvSecret(aws, "poolUrl", desired.secret.variables.poolUrl),
    ]);
  }
  const autoscalerLive = await readAutoscaler(aws, desired);
  const autoscaler = { live: autoscalerLive, observed: await observedAutoscaler(autoscalerLive, desired) };
  return {
    account,
    region: aws.settings.region,
    env,
    vpcId,
    ebSecurityGroupIds: ebSgs,
    instances,
    secret,
    envSecrets,
    subnetGroup,
    dbSg: sgs.get(desired.network.dbSecurityGroup) ?? null,
    clientSg: sgs.get(desired.config.names.clientSecurityGroup) ?? null,
    params,
    topicArn: arn,
    topic,
    alarms: [...alarms, ...(await readLagAlarms(aws, id, instances.replicas))],
    role,
    secretsSupported: supported,
    kmsKeyArn,
    coupling,
    autoscaler,
    proxy: proxyState ?? { proxy: null, role: null },
    proxySg: sgs.get(proxyNames(desired).sg) ?? null,
    restored: await restoredForPassword(aws, desired, secret),
  };
}

/**
 * The secrets the EB instances' role reads: the RDS-layout secret and the env-secret secrets the
 * configuration's variables use, in that order (null for one that does not exist yet).
 */
export function secretArns(
  live: Pick<AwsLive, "secret" | "envSecrets">,
  desired: Desired,
): (string | null)[] {
  const arn = (s: { arn: string; deleted: boolean } | null) => (s && !s.deleted ? s.arn : null);
  const used = new Set(Object.values(desired.eb.secrets));
  return [
    arn(live.secret),
    ...ENV_SECRET_VALUES.filter((w) => used.has(w)).map((w) => arn(live.envSecrets[w])),
  ];
}

/** The security group the DB group admits: the client group, or the EB instances' own. */
export function sourceGroupId(live: AwsLive, desired: Desired): string | null {
  if (desired.network.accessMode === "eb-sg") return live.ebSecurityGroupIds[0] ?? null;
  return live.clientSg?.id ?? null;
}

/** Whether the environment's SecurityGroups option lists the group (by id or name). */
export function attached(env: LiveEnv, sg: LiveSg | null): boolean {
  return sg !== null && (env.securityGroups.includes(sg.id) || env.securityGroups.includes(sg.name));
}

/** The live state in the planner's shape, with the AWS-specific differences in `drift`. */
export function toObservedState(live: AwsLive, desired: Desired): Observed {
  const { instances } = live;
  const port = desired.primary.port;
  const props = { ...live.env.properties };
  if ("DB_PASSWORD" in props) props.DB_PASSWORD = REDACTION;
  const primary = instances.primary ? toObserved(instances.primary, "primary") : null;
  // The instance reports its key's ARN; the configuration may name it by alias or id.
  const wantKey = desired.primary.storage.kmsKeyId;
  if (primary && wantKey && live.kmsKeyArn && primary.storage.kmsKeyId === live.kmsKeyArn)
    primary.storage.kmsKeyId = wantKey;
  return {
    target: "aws",
    primary,
    replicas: instances.replicas.map((r) => toObserved(r, "replica")),
    parameterGroup: live.params
      ? { name: live.params.name, family: live.params.family, parameters: { ...live.params.values } }
      : null,
    secret: live.secret && !live.secret.deleted ? { name: live.secret.name, arn: live.secret.arn } : null,
    subnetGroup: live.subnetGroup
      ? { name: live.subnetGroup.name, subnetIds: Object.keys(live.subnetGroup.subnets) }
      : null,
    dbSecurityGroup: live.dbSg
      ? {
          id: live.dbSg.id,
          name: live.dbSg.name,
          ingressFrom: live.dbSg.ingress
            .filter((p) => p.IpProtocol === "tcp" && p.FromPort === port && p.ToPort === port)
            .flatMap((p) => (p.UserIdGroupPairs ?? []).map((g) => g.GroupId!)),
        }
      : null,
    clientSecurityGroup: live.clientSg
      ? { id: live.clientSg.id, name: live.clientSg.name, attachedToEb: attached(live.env, live.clientSg) }
      : null,
    topic: live.topic ? { arn: live.topic.arn, subscriptions: [...live.topic.subscriptions] } : null,
    alarms: live.alarms.map((a) => ({
      name: a.AlarmName!,
      threshold: a.Threshold ?? 0,
      instance: a.Dimensions?.find((d) => d.Name === "DBInstanceIdentifier")?.Value ?? "",
      state: a.StateValue ?? "INSUFFICIENT_DATA",
    })),
    eb: {
      properties: props,
      secretRefs: { ...live.env.secretRefs },
      instanceRolePolicy: policyMatches(live.role, secretArns(live, desired)),
      secretsSupported: live.secretsSupported,
      maxInstances: live.env.maxInstances,
    },
    proxy: observedProxy(live.proxy),
    autoscaler: live.autoscaler.observed,
    drift: driftOf(live, desired),
    refused: refusedOf(live, desired),
    coupled:
      live.coupling && primary && live.coupling.instanceId === primary.name
        ? { environment: live.coupling.environment, deletionPolicy: live.coupling.deletionPolicy }
        : null,
  };
}
