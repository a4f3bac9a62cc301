import {
  DescribeConfigurationSettingsCommand,
  DescribeEnvironmentsCommand,
  DescribePlatformVersionCommand,
  type EnvironmentDescription,
  UpdateEnvironmentCommand,
} from "@aws-sdk/client-elastic-beanstalk";
import { DB_NAMES, JDBC_NAMES, LIBPQ_NAMES, POOL_NAMES, RDS_NAMES } from "../../model/desired.js";
import { userError } from "../../errors.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import type { AwsCtx } from "./context.js";
import { waitFor } from "./wait.js";

export const NS_ENV = "aws:elasticbeanstalk:application:environment";
export const NS_SECRETS = "aws:elasticbeanstalk:application:environmentsecrets";
export const NS_LAUNCH = "aws:autoscaling:launchconfiguration";
export const NS_VPC = "aws:ec2:vpc";
/** The environment's Auto Scaling group: MinSize, MaxSize (the most application instances). */
export const NS_ASG = "aws:autoscaling:asg";
/** A database EB made in the environment's stack ("coupled"): HasCoupledDatabase, DBDeletionPolicy, DBUser, DBPassword... */
export const NS_RDS = "aws:rds:dbinstance";
/** Platform versions released from this day resolve Secrets Manager ARNs into environment variables. */
export const SECRETS_SUPPORTED_FROM = Date.UTC(2025, 2, 26);
/** Every variable ebdb may set, so it can also remove the ones the configuration no longer wants. */
export const MANAGED_PROPERTIES: readonly string[] = [
  ...DB_NAMES,
  // The read replicas' addresses and the reader endpoint.
  "DB_REPLICA_HOSTS",
  "DB_READ_HOSTS",
  "DB_READER_HOST",
  "DB_READER_PORT",
  ...RDS_NAMES,
  ...LIBPQ_NAMES,
  ...JDBC_NAMES,
  ...POOL_NAMES,
];

/** Names only ebdb sets (DB_*): removed when no longer wanted, whatever their value. */
function onlyOurs(name: string): boolean {
  return name.startsWith("DB_");
}

/** The EB environment as ebdb needs it. */
export interface LiveEnv {
  application: string;
  name: string;
  id: string;
  status: string;
  platformArn: string | null;
  vpcId: string | null;
  instanceSubnets: string[];
  /** aws:ec2:vpc DBSubnets, when the environment names them. */
  dbSubnets: string[];
  /** aws:autoscaling:launchconfiguration SecurityGroups, as listed (ids or names). */
  securityGroups: string[];
  instanceProfile: string | null;
  /** aws:autoscaling:asg MaxSize: the most application instances; null when unset (EB's default then). */
  maxInstances: number | null;
  properties: Record<string, string>;
  secretRefs: Record<string, string>;
  /** aws:rds:dbinstance options (a coupled database's); DBPassword is registered for redaction. */
  rdsOptions: Record<string, string>;
}

function positiveInt(v: string | undefined): number | null {
  const n = Number(v);
  return v && Number.isInteger(n) && n > 0 ? n : null;
}

function list(v: string | undefined): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function findEnvironment(
  aws: AwsClients,
  app: string,
  name: string,
): Promise<EnvironmentDescription | null> {
  const r = await aws.eb(
    new DescribeEnvironmentsCommand({
      ApplicationName: app,
      EnvironmentNames: [name],
      IncludeDeleted: false,
    }),
  );
  return (r.Environments ?? []).find((e) => e.EnvironmentName === name && e.Status !== "Terminated") ?? null;
}

/** The environment, or a user error that lists the environments that do exist. */
export async function readEnvironment(aws: AwsClients, app: string, name: string): Promise<LiveEnv> {
  let env: EnvironmentDescription | null;
  try {
    env = await findEnvironment(aws, app, name);
  } catch (e) {
    if (!isAwsCode(e, "InvalidParameterValue")) throw e;
    env = null;
  }
  if (!env) {
    const r = await aws.eb(new DescribeEnvironmentsCommand({ IncludeDeleted: false }));
    const existing = (r.Environments ?? [])
      .filter((e) => e.Status !== "Terminated")
      .map((e) => `${e.ApplicationName}/${e.EnvironmentName}`)
      .sort();
    throw userError(
      "EB_ENVIRONMENT_NOT_FOUND",
      `Elastic Beanstalk environment ${name} of application ${app} does not exist in ${aws.settings.region}.`,
      existing.length > 0
        ? `Environments there: ${existing.join(", ")}. Set EB_APPLICATION_NAME and EB_ENVIRONMENT_NAME in config.env to one of them (or use --region).`
        : "There is no environment in this region: create it first (eb create), or check --region and --profile.",
      { environments: existing },
    );
  }
  const cfg = await aws.eb(
    new DescribeConfigurationSettingsCommand({ ApplicationName: app, EnvironmentName: name }),
  );
  const options = cfg.ConfigurationSettings?.[0]?.OptionSettings ?? [];
  const get = (ns: string, key: string) =>
    options.find((o) => o.Namespace === ns && o.OptionName === key)?.Value;
  const properties: Record<string, string> = {};
  const secretRefs: Record<string, string> = {};
  const rdsOptions: Record<string, string> = {};
  for (const o of options) {
    if (o.Namespace === NS_ENV && o.OptionName) properties[o.OptionName] = o.Value ?? "";
    if (o.Namespace === NS_SECRETS && o.OptionName) secretRefs[o.OptionName] = o.Value ?? "";
    if (o.Namespace === NS_RDS && o.OptionName) rdsOptions[o.OptionName] = o.Value ?? "";
  }
  if (rdsOptions.DBPassword) aws.redact(rdsOptions.DBPassword);
  return {
    application: app,
    name,
    id: env.EnvironmentId!,
    status: env.Status ?? "Unknown",
    platformArn: env.PlatformArn ?? null,
    vpcId: get(NS_VPC, "VPCId") || null,
    instanceSubnets: list(get(NS_VPC, "Subnets")),
    dbSubnets: list(get(NS_VPC, "DBSubnets")),
    securityGroups: list(get(NS_LAUNCH, "SecurityGroups")),
    instanceProfile: get(NS_LAUNCH, "IamInstanceProfile") || null,
    maxInstances: positiveInt(get(NS_ASG, "MaxSize")),
    properties,
    secretRefs,
    rdsOptions,
  };
}

/** Whether the platform version resolves secrets into environment variables (released from 2025-03-26). */
export async function platformSupportsSecrets(aws: AwsClients, platformArn: string | null): Promise<boolean> {
  if (!platformArn) return false;
  try {
    const r = await aws.eb(new DescribePlatformVersionCommand({ PlatformArn: platformArn }));
    const created = r.PlatformDescription?.DateCreated;
    return created !== undefined && new Date(created).getTime() >= SECRETS_SUPPORTED_FROM;
  } catch (e) {
    if (isAwsCode(e, "InvalidParameterValue", "ResourceNotFoundException")) return false;
    throw e;
  }
}

/** What ebdb wants in the environment. */
export interface WantedWiring {
  properties: Record<string, string>;
  secretRefs: Record<string, string>;
  /** The full SecurityGroups option value wanted, or null to leave it alone. */
  securityGroups: string[] | null;
  /** Every property name the configuration wants, values known or not (those are never removed). */
  names: string[];
  /** The value ebdb would give each plain property it may manage (a name not wanted is removed only when it has it). */
  ours: Record<string, string>;
  /** ARNs of ebdb's env-secret secrets (a secret variable not wanted is removed only when it points at one). */
  ourArns: string[];
}

export interface OptionEdit {
  Namespace: string;
  OptionName: string;
  Value?: string;
}

/** The option settings to set and remove to go from `env` to `want`; both empty when in sync. */
export function wiringEdits(env: LiveEnv, want: WantedWiring): { set: OptionEdit[]; remove: OptionEdit[] } {
  const set: OptionEdit[] = [];
  const remove: OptionEdit[] = [];
  for (const [k, v] of Object.entries(want.properties)) {
    if (env.properties[k] !== v) set.push({ Namespace: NS_ENV, OptionName: k, Value: v });
  }
  for (const [k, v] of Object.entries(want.secretRefs)) {
    if (env.secretRefs[k] !== v) set.push({ Namespace: NS_SECRETS, OptionName: k, Value: v });
  }
  for (const k of MANAGED_PROPERTIES) {
    // Removed when no longer wanted (and ebdb's), or when wanted in the other namespace (a plain
    // DB_PASSWORD left by an earlier ebdb becomes a secret).
    const plainOurs = onlyOurs(k) || env.properties[k] === want.ours[k];
    const refOurs = onlyOurs(k) || want.ourArns.includes(env.secretRefs[k] ?? "");
    if (
      k in env.properties &&
      !(k in want.properties) &&
      ((!want.names.includes(k) && plainOurs) || k in want.secretRefs)
    ) {
      remove.push({ Namespace: NS_ENV, OptionName: k });
    }
    if (
      k in env.secretRefs &&
      !(k in want.secretRefs) &&
      ((!want.names.includes(k) && refOurs) || k in want.properties)
    ) {
      remove.push({ Namespace: NS_SECRETS, OptionName: k });
    }
  }
  if (
    want.securityGroups !== null &&
    [...want.securityGroups].sort().join() !== [...env.securityGroups].sort().join()
  ) {
    set.push({ Namespace: NS_LAUNCH, OptionName: "SecurityGroups", Value: want.securityGroups.join(",") });
  }
  return { set, remove };
}

/** Applies option edits in one environment update and waits until the environment is Ready again. */
export async function updateEnvironment(
  ctx: AwsCtx,
  env: LiveEnv,
  edits: { set: OptionEdit[]; remove: OptionEdit[] },
): Promise<void> {
  if (edits.set.length === 0 && edits.remove.length === 0) return;
  await waitEnvReady(ctx, env);
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.aws.eb(
        new UpdateEnvironmentCommand({
          ApplicationName: env.application,
          EnvironmentName: env.name,
          OptionSettings: edits.set,
          OptionsToRemove: edits.remove.length > 0 ? edits.remove : undefined,
        }),
      );
      break;
    } catch (e) {
      // Another update started meanwhile: EB takes one at a time.
      const busy =
        isAwsCode(e, "OperationInProgressFailure") ||
        (isAwsCode(e, "InvalidParameterValue") && /invalid state/i.test((e as Error).message));
      if (!busy || attempt >= 5) throw e;
      await waitEnvReady(ctx, env);
    }
  }
  await waitEnvReady(ctx, env);
}

/** Waits until the environment is Ready (EB refuses updates while one is in progress). */
export async function waitEnvReady(ctx: AwsCtx, env: LiveEnv): Promise<void> {
  await waitFor({
    clock: ctx.clock,
    io: ctx.io,
    what: `EB environment ${env.name} to be Ready`,
    resource: env.name,
    intervalMs: 5000,
    poll: async () => {
      // UpdateEnvironment leaves Ready at once (its answer already says Updating).
      const e = await findEnvironment(ctx.aws, env.application, env.name);
      const status = e?.Status ?? "Unknown";
      return { done: status === "Ready", status };
    },
  });
}
