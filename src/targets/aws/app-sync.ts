import { DescribeEventsCommand, RestartAppServerCommand } from "@aws-sdk/client-elastic-beanstalk";
import type { EnvSecretValue } from "../../model/desired-types.js";
import { appVariables, secretValues } from "./app-env.js";
import type { AwsCtx } from "./context.js";
import { type LiveEnv, updateEnvironment, waitEnvReady, wiringEdits } from "./eb.js";
import {
  ensureEnvSecret,
  type LiveEnvSecret,
  type LiveEnvSecrets,
  markLoaded,
  reloadDue,
} from "./env-secrets.js";
import { ENV_SECRET_VALUES, existingArns } from "./env-secrets-drift.js";
import type { LiveRole } from "./iam.js";
import type { LiveSg } from "./network.js";
import { iamStep } from "./steps.js";
import { type Endpoints, wantedWiring } from "./wiring.js";

export interface AppState {
  env: LiveEnv;
  envSecrets: LiveEnvSecrets;
  role: LiveRole | null;
  secretsSupported: boolean;
}

export interface SyncOptions {
  endpoints: Endpoints;
  /** The master password (the RDS-layout secret's, after this run). */
  password: string;
  /** The RDS-layout secret's ARN. */
  secretArn: string;
  /** The client security group, when the launch configuration's SecurityGroups is managed here; null leaves it. */
  clientSg: LiveSg | null;
  manageSecurityGroups: boolean;
}

/**
 * Brings what the EB application sees in step with the database: the env-secret secrets hold the
 * password and the URLs, the instance role may read them, the environment's variables are set
 * (secret ones by reference), and when a secret the environment already referenced has a value newer
 * than what the application loaded, the application servers restart (EB reads secrets only when it
 * deploys, and "you must manually refresh" after a change: EB Developer Guide, "Fetching secrets and
 * parameters to Elastic Beanstalk environment variables"). Each secret then records the version the application holds (LOADED_TAG), so a run
 * interrupted before the restart restarts next time. Returns whether the environment was updated or restarted.
 */
export async function syncApp(ctx: AwsCtx, state: AppState, opts: SyncOptions): Promise<boolean> {
  const d = ctx.desired;
  const values = secretValues(
    d,
    appVariables(d, {
      host: opts.endpoints.primary,
      replicas: opts.endpoints.replicas,
      pooler: opts.endpoints.pooler,
      username: d.config.masterUsername,
      password: opts.password,
    }),
  );
  const secrets: Partial<Record<EnvSecretValue, LiveEnvSecret>> = {};
  for (const which of ENV_SECRET_VALUES) {
    const value = values[which];
    const live = state.envSecrets[which];
    if (value !== null) secrets[which] = await ensureEnvSecret(ctx, live, which, value);
    else if (live && !live.deleted) secrets[which] = live;
  }
  const arns = existingArns({
    password: secrets.password ?? null,
    url: secrets.url ?? null,
    jdbc: secrets.jdbc ?? null,
    poolUrl: secrets.poolUrl ?? null,
  });
  // The role reads the secrets the variables use (one left from a turned-off proxy is not read).
  const used = new Set(Object.values(d.eb.secrets));
  const read = ENV_SECRET_VALUES.filter((w) => used.has(w) && arns[w]).map((w) => arns[w] as string);
  await iamStep(ctx, state.role, [opts.secretArn, ...read]);

  const want = wantedWiring(d, state.env, {
    endpoints: opts.endpoints,
    envSecretArns: arns,
    secretsSupported: state.secretsSupported,
    clientSg: opts.clientSg,
  });
  if (!opts.manageSecurityGroups) want.securityGroups = null;
  const edits = wiringEdits(state.env, want);
  const since = ctx.clock.now();
  const wiredBefore = new Set(Object.values(state.env.secretRefs));
  let deployed = false;
  if (edits.set.length > 0 || edits.remove.length > 0) {
    await updateEnvironment(ctx, state.env, edits);
    deployed = true;
  }
  const referenced = Object.values(secrets).filter(
    (s): s is LiveEnvSecret => s !== undefined && Object.values(want.secretRefs).includes(s.arn),
  );
  // A reference this update added is fetched by it; one that was there already is certain to be
  // fetched anew only by a restart of the application servers.
  if (referenced.some((s) => reloadDue(s) && wiredBefore.has(s.arn))) {
    await restartAppServers(ctx, state.env);
    deployed = true;
  }
  if (deployed) {
    const errors = await deploymentErrors(ctx, state.env, since);
    if (errors.length > 0) {
      // Not recorded as loaded: the next up tries again.
      ctx.io.event({
        type: "warning",
        message: `EB environment ${state.env.name} reported errors while loading its variables: ${errors.join(" | ")}`,
        hint: "Check the environment's events and its instance profile role, then run ebdb up again.",
      });
      return deployed;
    }
  }
  for (const s of referenced) await markLoaded(ctx.aws, s);
  return deployed;
}

/** RestartAppServer, then waits until the environment is Ready again. */
async function restartAppServers(ctx: AwsCtx, env: LiveEnv): Promise<void> {
  await waitEnvReady(ctx, env);
  ctx.io.event({
    type: "progress",
    message: `Restarting the application servers of EB environment ${env.name} so they load the new secret values`,
  });
  await ctx.aws.eb(new RestartAppServerCommand({ EnvironmentName: env.name }));
  await waitEnvReady(ctx, env);
}

/** ERROR events EB reported for the environment since `since` (newest first). */
async function deploymentErrors(ctx: AwsCtx, env: LiveEnv, since: Date): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await ctx.aws.eb(
      new DescribeEventsCommand({
        ApplicationName: env.application,
        EnvironmentName: env.name,
        StartTime: since,
        Severity: "ERROR",
        NextToken: token,
      }),
    );
    out.push(...(r.Events ?? []).map((e) => e.Message ?? ""));
    token = r.NextToken;
  } while (token && out.length < 20);
  return out;
}
