import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { systemError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";
import { generatePassword, requestToken } from "./password.js";

/** The secret's value, in the JSON layout RDS itself uses for database secrets. */
export interface SecretDoc {
  username: string;
  password: string;
  engine: string;
  host: string;
  port: number;
  dbname: string;
  dbInstanceIdentifier: string;
}

export interface LiveSecret {
  name: string;
  arn: string;
  /** Scheduled for deletion (after a destroy): restored by the next up. */
  deleted: boolean;
  /** null when the value is not JSON of our layout (or not readable yet). */
  doc: SecretDoc | null;
  /** The AWSCURRENT version's id (a new version's request token includes it). */
  versionId: string | null;
}

function parseDoc(text: string | undefined): SecretDoc | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<SecretDoc>;
    return typeof v === "object" && v !== null && typeof v.password === "string" ? (v as SecretDoc) : null;
  } catch {
    return null;
  }
}

/** Reads the secret and its current value; null when there is none. The password is registered for redaction. */
export async function readSecret(aws: AwsClients, name: string): Promise<LiveSecret | null> {
  let arn: string;
  let deleted: boolean;
  let versionId: string | null;
  try {
    const d = await aws.sm(new DescribeSecretCommand({ SecretId: name }));
    arn = d.ARN!;
    deleted = d.DeletedDate !== undefined;
    versionId =
      Object.entries(d.VersionIdsToStages ?? {}).find(([, s]) => s.includes("AWSCURRENT"))?.[0] ?? null;
  } catch (e) {
    if (isAwsCode(e, "ResourceNotFoundException")) return null;
    throw e;
  }
  let doc: SecretDoc | null = null;
  if (!deleted) {
    try {
      const v = await aws.sm(new GetSecretValueCommand({ SecretId: arn }));
      doc = parseDoc(v.SecretString);
    } catch (e) {
      if (!isAwsCode(e, "ResourceNotFoundException", "InvalidRequestException")) throw e;
    }
  }
  if (doc) aws.redact(doc.password);
  return { name, arn, deleted, doc, versionId };
}

/** What the secret should hold, given the password and the primary's endpoint (empty until it has one). */
export function wantedDoc(desired: Desired, password: string, host: string): SecretDoc {
  const c = desired.config;
  return {
    username: c.masterUsername,
    password,
    engine: c.engine,
    host,
    port: desired.primary.port,
    dbname: c.dbName,
    dbInstanceIdentifier: desired.identifier,
  };
}

export function sameDoc(a: SecretDoc | null, b: SecretDoc): boolean {
  if (!a) return false;
  return (Object.keys(b) as (keyof SecretDoc)[]).every((k) => String(a[k]) === String(b[k]));
}

/**
 * The secret exists and holds a password: created when missing (the configured password, or a
 * generated one), restored when a destroy scheduled it for deletion, and never regenerated once it
 * holds one. Creation uses a deterministic ClientRequestToken, so a retry after an interruption is
 * the same request; a secret that exists but is not visible yet is read back until it is.
 */
export async function ensureSecret(
  ctx: AwsCtx,
  live: LiveSecret | null,
  host: string,
): Promise<LiveSecret & { doc: SecretDoc }> {
  const { aws, desired } = ctx;
  const name = desired.secret.name;
  const configured = desired.config.masterPassword?.reveal() ?? null;
  let current = live;
  if (current?.deleted) {
    await aws.sm(new RestoreSecretCommand({ SecretId: current.arn }));
    ctx.io.event({ type: "info", message: `Restored secret ${name} (it was scheduled for deletion)` });
    current = await readVisible(ctx, name);
  }
  if (!current) {
    const password = configured ?? generatePassword();
    aws.redact(password);
    const doc = wantedDoc(desired, password, host);
    try {
      const token = requestToken("ebdb-secret", name, "initial");
      const out = await aws.sm(
        new CreateSecretCommand({
          Name: name,
          Description: `Master credentials of RDS instance ${desired.identifier} (managed by ebdb)`,
          SecretString: JSON.stringify(doc),
          ClientRequestToken: token,
          Tags: tagList(desired),
        }),
      );
      return { name, arn: out.ARN!, deleted: false, doc, versionId: out.VersionId ?? token };
    } catch (e) {
      if (!isAwsCode(e, "ResourceExistsException")) throw e;
      current = await readVisible(ctx, name);
    }
  }
  if (!current.doc) {
    // Unreadable or not ours: give it our layout, keeping nothing we cannot read.
    const doc = wantedDoc(desired, configured ?? generatePassword(), host);
    aws.redact(doc.password);
    const versionId = await putDoc(aws, current.arn, doc, current.versionId);
    return { ...current, doc, versionId };
  }
  return { ...current, doc: current.doc };
}

/** Reads a secret that AWS says exists, waiting for it to become visible (eventual consistency). */
async function readVisible(ctx: AwsCtx, name: string): Promise<LiveSecret> {
  for (let i = 0; i < 10; i++) {
    const s = await readSecret(ctx.aws, name);
    if (s && !s.deleted && s.doc) return s;
    await ctx.clock.sleep(2000 * (i + 1));
  }
  throw systemError(
    "AWS_SECRET_UNREADABLE",
    `Secret ${name} exists but its value could not be read.`,
    "Check that the credentials in use may call secretsmanager:GetSecretValue on it, then run the command again.",
  );
}

/**
 * Writes a new version of the secret, replacing version `after` (the current one, when known): the
 * token makes a repeated write of the same request a no-op, and, since it names the version replaced,
 * a value written again after another (A, B, A) still becomes current (Secrets Manager ignores a known
 * token with the same value). Returns the new version's id.
 */
export async function putDoc(
  aws: AwsClients,
  arn: string,
  doc: SecretDoc,
  after: string | null = null,
): Promise<string> {
  const text = JSON.stringify(doc);
  const token = requestToken("ebdb-secret", arn, after ?? "", text);
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await aws.sm(
        new PutSecretValueCommand({ SecretId: arn, SecretString: text, ClientRequestToken: token }),
      );
      return out.VersionId ?? token;
    } catch (e) {
      // A secret created a moment ago may not be writable yet (eventual consistency).
      if (!isAwsCode(e, "ResourceNotFoundException") || attempt >= 8) throw e;
      await aws.clock.sleep(1000 * 2 ** attempt);
    }
  }
}

/** Schedules the secret for deletion: it stays recoverable for Secrets Manager's recovery window. */
export async function scheduleSecretDeletion(
  aws: AwsClients,
  live: { arn: string; deleted: boolean } | null,
  days = 30,
): Promise<boolean> {
  if (!live || live.deleted) return false;
  await aws.sm(new DeleteSecretCommand({ SecretId: live.arn, RecoveryWindowInDays: days }));
  return true;
}
