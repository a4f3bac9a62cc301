import type { DBInstance } from "@aws-sdk/client-rds";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { userError } from "../../errors.js";
import { isAwsCode } from "./aws-errors.js";
import { type AwsCtx, tagList } from "./context.js";
import { type LiveRole, policyMatches, putPolicy } from "./iam.js";
import { waitReady } from "./instances.js";
import { modifyWithRetry } from "./modify.js";
import { deleteSecurityGroup, ensureIngress, ensureSecurityGroup, type LiveSg } from "./network.js";
import type { AwsLive } from "./observe.js";
import { ensureParamGroup } from "./params.js";
import { setRestoredPasswords } from "./restored-password.js";
import { generatePassword, requestToken } from "./password.js";
import { ensureSecret, putDoc, readSecret, type SecretDoc, wantedDoc } from "./secret.js";
import { chooseSubnets, ensureSubnetGroup, readSubnetGroup, subnetGroupFits, zonesOf } from "./subnets.js";

export interface SecretState {
  arn: string;
  doc: SecretDoc;
  /** The current version's id (null when unknown). */
  versionId: string | null;
}

/**
 * The secret, holding the password the instance has. When the instance exists but the secret is gone,
 * a new password is set on the instance first and stored after, so an interruption in between
 * is healed by the next run (which sets another one) and never leaves a secret the instance does not match.
 */
export async function secretStep(ctx: AwsCtx, live: AwsLive): Promise<SecretState> {
  const primary = live.instances.primary;
  const host = primary?.Endpoint?.Address ?? "";
  const configured = ctx.desired.config.masterPassword?.reveal() ?? null;
  if ((!live.secret || (!live.secret.deleted && !live.secret.doc)) && primary) {
    const password = configured ?? generatePassword();
    ctx.aws.redact(password);
    await setMasterPassword(ctx, password, primary);
    const doc = wantedDoc(ctx.desired, password, host);
    if (live.secret) {
      const versionId = await putDoc(ctx.aws, live.secret.arn, doc, live.secret.versionId);
      return { arn: live.secret.arn, doc, versionId };
    }
    return { ...(await createOrOverwrite(ctx, doc)), doc };
  }
  const s = await ensureSecret(ctx, live.secret, host);
  if (configured !== null && configured !== s.doc.password && primary) {
    // Restored instances first: the secret, stored last, is what tells the next run it is all done.
    await setRestoredPasswords(ctx, live.restored ?? [], configured);
    await setMasterPassword(ctx, configured, primary);
    const doc = { ...s.doc, password: configured };
    const versionId = await putDoc(ctx.aws, s.arn, doc, s.versionId);
    return { arn: s.arn, doc, versionId };
  }
  return { arn: s.arn, doc: s.doc, versionId: s.versionId };
}

/** Stores `doc` as the secret's value: a new secret, or a new version when one exists but was not visible. */
async function createOrOverwrite(ctx: AwsCtx, doc: SecretDoc): Promise<{ arn: string; versionId: string }> {
  const name = ctx.desired.secret.name;
  const text = JSON.stringify(doc);
  try {
    const out = await ctx.aws.sm(
      new CreateSecretCommand({
        Name: name,
        Description: `Master credentials of RDS instance ${ctx.desired.identifier} (managed by ebdb)`,
        SecretString: text,
        ClientRequestToken: requestToken("ebdb-secret", name, text),
        Tags: tagList(ctx.desired),
      }),
    );
    return { arn: out.ARN!, versionId: out.VersionId ?? requestToken("ebdb-secret", name, text) };
  } catch (e) {
    if (!isAwsCode(e, "ResourceExistsException")) throw e;
  }
  for (let i = 0; i < 10; i++) {
    const s = await readSecret(ctx.aws, name);
    if (s && !s.deleted) {
      return { arn: s.arn, versionId: await putDoc(ctx.aws, s.arn, doc, s.versionId) };
    }
    await ctx.clock.sleep(2000 * (i + 1));
  }
  throw userError(
    "AWS_SECRET_INVISIBLE",
    `Secret ${name} exists but cannot be read.`,
    "Run the command again in a minute.",
  );
}

/**
 * Sets the master password. While RDS manages it (ManageMasterUserPassword), RDS takes a
 * MasterUserPassword only with ManageMasterUserPassword=false in the same call, and then deletes its
 * secret (RDS API Reference, ModifyDBInstance): done only with DB_MASTER_PASSWORD given, never with
 * a password ebdb generated (the plan refuses that; this refuses it too, before any change).
 */
async function setMasterPassword(ctx: AwsCtx, password: string, primary: DBInstance | null): Promise<void> {
  const rdsSecret = primary?.MasterUserSecret?.SecretArn;
  if (rdsSecret && ctx.desired.config.masterPassword?.reveal() !== password) {
    throw userError(
      "RDS_MANAGES_PASSWORD",
      `RDS manages the master password of ${ctx.desired.identifier} in its own secret (${rdsSecret}) and refuses one of ebdb's while it does; nothing was set.`,
      "To hand the password to ebdb, set DB_MASTER_PASSWORD in config.env (single quotes) and run up again: it turns RDS's management off (RDS deletes its secret) and keeps the password in ebdb's secret.",
    );
  }
  await waitReady(ctx, ctx.desired.identifier);
  await modifyWithRetry(ctx, {
    DBInstanceIdentifier: ctx.desired.identifier,
    MasterUserPassword: password,
    ...(rdsSecret ? { ManageMasterUserPassword: false } : {}),
    ApplyImmediately: true,
  });
}

export interface NetworkState {
  dbSg: LiveSg;
  clientSg: LiveSg | null;
  /** Availability zones of the subnet group. */
  zones: string[];
}

/** Security groups (client, then DB with its one rule) and the subnet group, which are independent. */
export async function networkStep(ctx: AwsCtx, live: AwsLive): Promise<NetworkState> {
  const d = ctx.desired;
  const groups = async () => {
    const clientSg =
      d.network.clientSecurityGroup !== null
        ? await ensureSecurityGroup(
            ctx,
            live.clientSg ?? undefined,
            d.network.clientSecurityGroup,
            live.vpcId,
            `Clients of ${d.identifier}: EB instances (managed by ebdb)`,
          )
        : null;
    const dbSg = await ensureSecurityGroup(
      ctx,
      live.dbSg ?? undefined,
      d.network.dbSecurityGroup,
      live.vpcId,
      `Database ${d.identifier}: port ${d.primary.port} from its clients only (managed by ebdb)`,
    );
    const source = clientSg?.id ?? live.ebSecurityGroupIds[0];
    if (!source) {
      throw userError(
        "EB_SECURITY_GROUP_NOT_FOUND",
        `Cannot find the security group of EB environment ${live.env.name}'s instances.`,
        "Set DB_ACCESS_MODE=client-sg (the default) so ebdb attaches its own client security group instead.",
      );
    }
    // RDS Proxy's group keeps its rule while it exists (proxy-apply.ts manages it).
    await ensureIngress(ctx, dbSg, d.primary.port, source, live.proxySg ? [live.proxySg.id] : []);
    return { dbSg, clientSg };
  };
  const subnets = async () => {
    if (live.subnetGroup && subnetGroupFits(live.subnetGroup, live.vpcId, live.env.dbSubnets))
      return zonesOf(live.subnetGroup);
    const ids = await chooseSubnets(ctx, live.vpcId, live.env.dbSubnets);
    await ensureSubnetGroup(ctx, live.subnetGroup, ids);
    const g = await readSubnetGroup(ctx.aws, d.network.subnetGroup);
    return g ? zonesOf(g) : [];
  };
  const [sgs, zones] = await Promise.all([groups(), subnets()]);
  return { ...sgs, zones };
}

/** The parameter group of the engine's family, with every wanted parameter. */
export async function paramsStep(ctx: AwsCtx, live: AwsLive): Promise<{ staticChanged: boolean }> {
  const want = ctx.desired.parameterGroup;
  // A group of the user's (DB_PARAMETER_GROUP_NAME) is attached as it is, never set.
  if (!want.managed) return { staticChanged: false };
  if (live.params && live.params.family !== want.family) {
    throw userError(
      "AWS_MAJOR_UPGRADE",
      `Parameter group ${want.name} is of family ${live.params.family}; the configuration needs ${want.family} (a major version upgrade).`,
      "Major version upgrades are not made by up yet: upgrade with the RDS console or CLI (with a new parameter group), then set DB_ENGINE_VERSION to match.",
    );
  }
  return ensureParamGroup(ctx, live.params);
}

/** The inline policy on the EB instance role: GetSecretValue on the database's secrets only. */
export async function iamStep(ctx: AwsCtx, role: LiveRole | null, secretArns: string[]): Promise<void> {
  if (!role) {
    ctx.io.event({
      type: "warning",
      message: `EB environment ${ctx.desired.eb.environment} has no instance profile role: its instances cannot read ${ctx.desired.secret.name}.`,
      hint: "Give the environment an instance profile (aws:autoscaling:launchconfiguration IamInstanceProfile), then run up again.",
    });
    return;
  }
  if (!policyMatches(role, secretArns)) await putPolicy(ctx.aws, role, ctx.desired.identifier, secretArns);
}

/** Deletes the client security group once the EB environment no longer uses it. */
export async function dropClientGroup(ctx: AwsCtx, sg: LiveSg): Promise<void> {
  await deleteSecurityGroup(ctx, sg);
}
