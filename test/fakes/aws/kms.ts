import type {
  CreateAliasCommandInput,
  CreateKeyCommandInput,
  DescribeKeyCommandInput,
  KeyMetadata,
  ListAliasesCommandInput,
} from "@aws-sdk/client-kms";
import { type Ctx, type Handlers, need, read, write } from "./kit.js";
import type { KmsKey } from "./state.js";
import type { World } from "./world.js";

/** AWS-managed keys (alias/aws/<service>) come into being on first use, as in a real account. */
const AWS_MANAGED = /^alias\/aws\/[a-z0-9-]+$/;

/** Creates a key in `region`, optionally under an alias; returns it. */
export function createKey(
  w: World,
  region: string,
  opts: { alias?: string; manager?: "AWS" | "CUSTOMER"; description?: string } = {},
): KmsKey {
  const r = w.region(region);
  const keyId = w.uuid();
  const key: KmsKey = {
    keyId,
    arn: `arn:aws:kms:${region}:${w.accountId}:key/${keyId}`,
    manager: opts.manager ?? "CUSTOMER",
    description:
      opts.description ?? (opts.alias ? `Default key for ${opts.alias.replace("alias/aws/", "")}` : ""),
    enabled: true,
    createdAt: w.now(),
  };
  r.kms.keys.set(keyId, key);
  if (opts.alias) r.kms.aliases.set(opts.alias, keyId);
  return key;
}

/**
 * Finds a key by id, key ARN, alias name or alias ARN in `region`; undefined when there is none.
 * An ARN of another region never matches: KMS keys are regional.
 */
export function findKey(w: World, region: string, ref: string): KmsKey | undefined {
  const r = w.region(region);
  let name = ref;
  const arn = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(ref);
  if (arn) {
    if (arn[1] !== region || arn[2] !== w.accountId) return undefined;
    name = arn[3] === "key" ? arn[4] : `alias/${arn[4]}`;
  }
  if (name.startsWith("alias/")) {
    let keyId = r.kms.aliases.get(name);
    if (!keyId && AWS_MANAGED.test(name)) keyId = createKey(w, region, { alias: name, manager: "AWS" }).keyId;
    return keyId ? r.kms.keys.get(keyId) : undefined;
  }
  return r.kms.keys.get(name);
}

function metadata(ctx: Ctx, key: KmsKey): KeyMetadata {
  return {
    AWSAccountId: ctx.w.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.createdAt),
    Enabled: key.enabled,
    Description: key.description,
    KeyUsage: "ENCRYPT_DECRYPT",
    KeyState: key.enabled ? "Enabled" : "Disabled",
    Origin: "AWS_KMS",
    KeyManager: key.manager,
    KeySpec: "SYMMETRIC_DEFAULT",
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  };
}

function notFound(ctx: Ctx, ref: string): Error {
  const full = ref.startsWith("alias/") ? `arn:aws:kms:${ctx.region}:${ctx.w.accountId}:${ref}` : ref;
  return ctx.err(
    "NotFoundException",
    ref.startsWith("alias/") || ref.includes(":alias/")
      ? `Alias ${full} is not found.`
      : `Key '${full}' does not exist`,
  );
}

export const kmsHandlers: Handlers = {
  DescribeKey: read<DescribeKeyCommandInput>((ctx, input) => {
    const ref = need(ctx, input.KeyId, "KeyId");
    const key = findKey(ctx.w, ctx.region, ref);
    if (!key) throw notFound(ctx, ref);
    return { KeyMetadata: metadata(ctx, key) };
  }),
  ListAliases: read<ListAliasesCommandInput>((ctx, input) => {
    // The AWS-managed aws/rds alias is listed whether or not it was used, as in a real account.
    findKey(ctx.w, ctx.region, "alias/aws/rds");
    let entries = [...ctx.r.kms.aliases.entries()].sort(([a], [b]) => a.localeCompare(b));
    if (input.KeyId) {
      const key = findKey(ctx.w, ctx.region, input.KeyId);
      if (!key) throw notFound(ctx, input.KeyId);
      entries = entries.filter(([, id]) => id === key.keyId);
    }
    const page = ctx.w.page("kms", entries, input.Marker, input.Limit, {
      min: 1,
      max: 100,
      param: "Limit",
      badToken: "InvalidMarkerException",
    });
    return {
      Aliases: page.items.map(([name, keyId]) => ({
        AliasName: name,
        AliasArn: `arn:aws:kms:${ctx.region}:${ctx.w.accountId}:${name}`,
        TargetKeyId: keyId,
      })),
      Truncated: page.next !== undefined,
      NextMarker: page.next,
    };
  }),
  CreateKey: write<CreateKeyCommandInput>((ctx, input) => {
    const key = createKey(ctx.w, ctx.region, { description: input.Description });
    return { KeyMetadata: metadata(ctx, key) };
  }),
  CreateAlias: write<CreateAliasCommandInput>((ctx, input) => {
    const alias = need(ctx, input.AliasName, "AliasName");
    if (!alias.startsWith("alias/") || alias.startsWith("alias/aws/")) {
      throw ctx.err(
        "InvalidAliasNameException",
        `Alias must start with the prefix "alias/" and not "alias/aws/".`,
      );
    }
    if (ctx.r.kms.aliases.has(alias)) {
      throw ctx.err(
        "AlreadyExistsException",
        `An alias with the name arn:aws:kms:${ctx.region}:${ctx.w.accountId}:${alias} already exists`,
      );
    }
    const key = findKey(ctx.w, ctx.region, need(ctx, input.TargetKeyId, "TargetKeyId"));
    if (!key) throw notFound(ctx, input.TargetKeyId as string);
    ctx.r.kms.aliases.set(alias, key.keyId);
    return {};
  }),
};
