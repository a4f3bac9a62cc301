import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { systemError } from "../../errors.js";
import type { Desired, EnvSecretValue } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";
import { requestToken } from "./password.js";

/**
 * Tag on an env-secret secret: the version whose value the EB environment's application has loaded.
 * EB reads a secret only when it deploys to the instances, so a newer version means a restart is due.
 */
export const LOADED_TAG = "ebdb:eb-loaded";

/** One secret an EB environment secret points at (its whole value is the variable's value). */
export interface LiveEnvSecret {
  which: EnvSecretValue;
  name: string;
  arn: string;
  /** Scheduled for deletion (after a destroy): restored by the next up. */
  deleted: boolean;
  /** The AWSCURRENT value; null when unreadable (or deleted). */
  value: string | null;
  /** The AWSCURRENT version's id. */
  versionId: string | null;
  /** The version the EB application last loaded (LOADED_TAG), null when never. */
  loadedVersion: string | null;
}

export type LiveEnvSecrets = Record<EnvSecretValue, LiveEnvSecret | null>;

const DESCRIPTION: Record<EnvSecretValue, (d: Desired) => string> = {
  password: (d) =>
    `Master password of RDS instance ${d.identifier}, alone: the value of EB environment ${d.eb.environment}'s DB_PASSWORD (managed by ebdb, kept equal to ${d.secret.name})`,
  url: (d) =>
    `DATABASE_URL of EB environment ${d.eb.environment} for RDS instance ${d.identifier} (managed by ebdb, kept in step with ${d.secret.name})`,
  jdbc: (d) =>
    `JDBC_DATABASE_URL of EB environment ${d.eb.environment} for RDS instance ${d.identifier} (managed by ebdb, kept in step with ${d.secret.name})`,
  poolUrl: (d) =>
    `DATABASE_POOL_URL of EB environment ${d.eb.environment}: RDS instance ${d.identifier} through RDS Proxy ${d.config.names.proxy} (managed by ebdb, kept in step with ${d.secret.name})`,
};

/** Reads one env-secret secret and its current value (registered for redaction); null when there is none. */
export async function readEnvSecret(
  aws: AwsClients,
  which: EnvSecretValue,
  name: string,
): Promise<LiveEnvSecret | null> {
  let d: Awaited<ReturnType<typeof describe>>;
  try {
    d = await describe(aws, name);
  } catch (e) {
    if (isAwsCode(e, "ResourceNotFoundException")) return null;
    throw e;
  }
  const deleted = d.DeletedDate !== undefined;
  const versionId =
    Object.entries(d.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes("AWSCURRENT"))?.[0] ??
    null;
  const loadedVersion = d.Tags?.find((t) => t.Key === LOADED_TAG)?.Value ?? null;
  let value: string | null = null;
  if (!deleted) {
    try {
      value = (await aws.sm(new GetSecretValueCommand({ SecretId: d.ARN! }))).SecretString ?? null;
    } catch (e) {
      if (!isAwsCode(e, "ResourceNotFoundException", "InvalidRequestException")) throw e;
    }
  }
  if (value) redactValue(aws, which, value);
  return { which, name, arn: d.ARN!, deleted, value, versionId, loadedVersion };
}

function describe(aws: AwsClients, name: string) {
  return aws.sm(new DescribeSecretCommand({ SecretId: name }));
}

/** A URL's password appears percent-encoded in it: both forms, and the URL, are kept out of output. */
function redactValue(aws: AwsClients, which: EnvSecretValue, value: string): void {
  aws.redact(value);
  if (which === "password") return;
  const m =
    which === "jdbc" ? /[?&]password=([^&]*)/.exec(value) : /^[a-z]+:\/\/[^:/@]*:([^@]*)@/.exec(value);
  if (m?.[1]) {
    aws.redact(m[1]);
    try {
      aws.redact(decodeURIComponent(m[1]));
    } catch {
      // Not valid percent-encoding: the encoded form is redacted already.
    }
  }
}

/**
 * The env-secret secrets of the configuration. DATABASE_POOL_URL's only when `poolUrl` (default: while
 * DB_RDS_PROXY_ENABLED is on; destroy and turning the proxy off ask for it), else null.
 */
export async function readEnvSecrets(
  aws: AwsClients,
  desired: Desired,
  opts: { poolUrl?: boolean } = {},
): Promise<LiveEnvSecrets> {
  const names = desired.secret.variables;
  const [password, url, jdbc, poolUrl] = await Promise.all([
    readEnvSecret(aws, "password", names.password),
    readEnvSecret(aws, "url", names.url),
    readEnvSecret(aws, "jdbc", names.jdbc),
    (opts.poolUrl ?? desired.config.rdsProxy)
      ? readEnvSecret(aws, "poolUrl", names.poolUrl)
      : Promise.resolve(null),
  ]);
  return { password, url, jdbc, poolUrl };
}

/**
 * The secret exists, is not scheduled for deletion, and its current value is `value`: created,
 * restored or given a new version as needed. Requests are idempotent on a deterministic token that
 * includes the version they replace, so a retry after an interruption is the same request, while a
 * value set again after another (A, B, A) still becomes current (Secrets Manager ignores a token it
 * knows with the same value: PutSecretValue, ClientRequestToken).
 */
export async function ensureEnvSecret(
  ctx: AwsCtx,
  live: LiveEnvSecret | null,
  which: EnvSecretValue,
  value: string,
): Promise<LiveEnvSecret> {
  const { aws, desired } = ctx;
  const name = desired.secret.variables[which];
  redactValue(aws, which, value);
  let current = live;
  if (current?.deleted) {
    await aws.sm(new RestoreSecretCommand({ SecretId: current.arn }));
    ctx.io.event({ type: "info", message: `Restored secret ${name} (it was scheduled for deletion)` });
    current = await readVisible(ctx, which, name);
  }
  if (!current) {
    const token = requestToken("ebdb-env-secret", name, "", value);
    try {
      const out = await aws.sm(
        new CreateSecretCommand({
          Name: name,
          Description: DESCRIPTION[which](desired),
          SecretString: value,
          ClientRequestToken: token,
          Tags: tagList(desired),
        }),
      );
      return { which, name, arn: out.ARN!, deleted: false, value, versionId: token, loadedVersion: null };
    } catch (e) {
      if (!isAwsCode(e, "ResourceExistsException")) throw e;
      current = await readVisible(ctx, which, name);
    }
  }
  if (current.value === value) return current;
  const token = requestToken("ebdb-env-secret", current.arn, current.versionId ?? "", value);
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await aws.sm(
        new PutSecretValueCommand({ SecretId: current.arn, SecretString: value, ClientRequestToken: token }),
      );
      return { ...current, value, versionId: out.VersionId ?? token };
    } catch (e) {
      // A secret created a moment ago may not be writable yet (eventual consistency).
      if (!isAwsCode(e, "ResourceNotFoundException") || attempt >= 8) throw e;
      await ctx.clock.sleep(1000 * 2 ** attempt);
    }
  }
}

/** Reads a secret AWS says exists, waiting for it to become visible (eventual consistency). */
async function readVisible(ctx: AwsCtx, which: EnvSecretValue, name: string): Promise<LiveEnvSecret> {
  for (let i = 0; i < 10; i++) {
    const s = await readEnvSecret(ctx.aws, which, name);
    if (s && !s.deleted) return s;
    await ctx.clock.sleep(2000 * (i + 1));
  }
  throw systemError(
    "AWS_SECRET_UNREADABLE",
    `Secret ${name} exists but could not be read.`,
    "Check that the credentials in use may call secretsmanager:DescribeSecret and GetSecretValue on it, then run the command again.",
  );
}

/** Records that the EB application has loaded the secret's current version (after a deployment). */
export async function markLoaded(aws: AwsClients, s: LiveEnvSecret): Promise<void> {
  if (!s.versionId || s.loadedVersion === s.versionId) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await aws.sm(
        new TagResourceCommand({ SecretId: s.arn, Tags: [{ Key: LOADED_TAG, Value: s.versionId }] }),
      );
      return;
    } catch (e) {
      // A secret created a moment ago may not be visible yet (eventual consistency).
      if (!isAwsCode(e, "ResourceNotFoundException") || attempt >= 8) throw e;
      await aws.clock.sleep(1000 * 2 ** attempt);
    }
  }
}

/** Whether the EB application may hold an older value than the secret's current one. */
export function reloadDue(s: LiveEnvSecret | null): boolean {
  return s !== null && !s.deleted && s.versionId !== null && s.loadedVersion !== s.versionId;
}
