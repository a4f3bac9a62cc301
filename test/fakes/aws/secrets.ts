import type {
  CreateSecretCommandInput,
  DeleteSecretCommandInput,
  DescribeSecretCommandInput,
  GetRandomPasswordCommandInput,
  GetSecretValueCommandInput,
  ListSecretsCommandInput,
  PutSecretValueCommandInput,
  RestoreSecretCommandInput,
  TagResourceCommandInput,
  UntagResourceCommandInput,
  UpdateSecretCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { findKey } from "./kms.js";
import type { Secret, SecretVersion } from "./state.js";
import { mergeTags } from "./world.js";

const DAY = 86_400_000;
const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";

function findSecret(ctx: Ctx, id: string | undefined): Secret | undefined {
  const ref = id ?? "";
  const all = ctx.r.secrets;
  if (all.has(ref)) return all.get(ref);
  const m = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/.exec(ref);
  if (!m) return undefined;
  for (const s of all.values()) {
    // A full ARN (with the 6-character suffix) or a partial one (without it).
    if (s.arn === ref || `${s.arn.slice(0, -7)}` === ref) return s;
  }
  return undefined;
}

function getSecret(ctx: Ctx, id: string | undefined, allowDeleted = false): Secret {
  const s = findSecret(ctx, id);
  if (!s || !ctx.w.visible("Secret", ctx.region, s.name)) {
    throw ctx.err("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  }
  if (s.deletedAt !== undefined && !allowDeleted) throw ctx.err("InvalidRequestException", MARKED);
  return s;
}

function checkToken(ctx: Ctx, token: string | undefined): string {
  if (token === undefined) return ctx.w.uuid();
  if (token.length < 32 || token.length > 64) {
    throw ctx.err(
      "ValidationException",
      "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
    );
  }
  return token;
}

const sameValue = (v: SecretVersion, s: string | undefined, b: Uint8Array | undefined) =>
  v.value === s &&
  (v.binary === undefined
    ? b === undefined
    : b !== undefined && Buffer.compare(Buffer.from(v.binary), Buffer.from(b)) === 0);

/** Adds a version (idempotent on the token) and moves AWSCURRENT to it, AWSPREVIOUS to the old one. */
function addVersion(
  ctx: Ctx,
  s: Secret,
  token: string,
  value: string | undefined,
  binary: Uint8Array | undefined,
  stages?: string[],
): SecretVersion {
  const existing = s.versions.find((v) => v.id === token);
  if (existing) {
    if (sameValue(existing, value, binary)) return existing;
    throw ctx.err(
      "ResourceExistsException",
      "You can't modify an existing version, you can only create new versions.",
    );
  }
  const labels = stages ?? ["AWSCURRENT"];
  if (labels.includes("AWSCURRENT")) {
    for (const v of s.versions) v.stages = v.stages.filter((x) => x !== "AWSPREVIOUS");
    for (const v of s.versions) {
      if (v.stages.includes("AWSCURRENT"))
        v.stages = [...v.stages.filter((x) => x !== "AWSCURRENT"), "AWSPREVIOUS"];
    }
  }
  for (const v of s.versions)
    v.stages = v.stages.filter((x) => x === "AWSPREVIOUS" || x === "AWSCURRENT" || !labels.includes(x));
  const version: SecretVersion = { id: token, value, binary, stages: labels, createdAt: ctx.w.now() };
  s.versions.push(version);
  // Versions with no label are deprecated and eventually removed; keep the list short as AWS does.
  s.versions = s.versions.filter(
    (v) => v.stages.length > 0 || s.versions.indexOf(v) >= s.versions.length - 100,
  );
  s.changedAt = ctx.w.now();
  return version;
}

function describe(ctx: Ctx, s: Secret) {
  return {
    ARN: s.arn,
    Name: s.name,
    Description: s.description,
    KmsKeyId: s.kmsKeyId,
    RotationEnabled: false,
    LastChangedDate: new Date(s.changedAt),
    LastAccessedDate: s.accessedAt === undefined ? undefined : new Date(Math.floor(s.accessedAt / DAY) * DAY),
    DeletedDate: s.deletedAt === undefined ? undefined : new Date(s.deletedAt),
    Tags: s.tags.map((t) => ({ ...t })),
    VersionIdsToStages: Object.fromEntries(
      s.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, [...v.stages]]),
    ),
    CreatedDate: new Date(s.createdAt),
    PrimaryRegion: ctx.region,
  };
}

export const secretsHandlers: Handlers = {
  CreateSecret: write<CreateSecretCommandInput>((ctx, input) => {
    const name = input.Name ?? "";
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw ctx.err(
        "ValidationException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
      );
    }
    if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
      throw ctx.err(
        "InvalidParameterException",
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    }
    const token = checkToken(ctx, input.ClientRequestToken);
    const existing = ctx.r.secrets.get(name);
    if (existing) {
      if (existing.deletedAt !== undefined) {
        throw ctx.err(
          "InvalidRequestException",
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      const v = existing.versions.find((x) => x.id === token);
      if (v && sameValue(v, input.SecretString, input.SecretBinary)) {
        return { ARN: existing.arn, Name: existing.name, VersionId: v.id };
      }
      throw ctx.err(
        "ResourceExistsException",
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    if (input.KmsKeyId && !findKey(ctx.w, ctx.region, input.KmsKeyId)) {
      throw ctx.err("ResourceNotFoundException", `The KMS key ${input.KmsKeyId} can't be found.`);
    }
    const suffix = ctx.w.chars(6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    const s: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.w.accountId}:secret:${name}-${suffix}`,
      description: input.Description,
      kmsKeyId: input.KmsKeyId,
      versions: [],
      tags: mergeTags([], input.Tags),
      createdAt: ctx.w.now(),
      changedAt: ctx.w.now(),
      accessedAt: undefined,
      deletedAt: undefined,
      deleteEpoch: 0,
    };
    ctx.r.secrets.set(name, s);
    ctx.w.created("Secret", ctx.region, name);
    let versionId: string | undefined;
    if (input.SecretString !== undefined || input.SecretBinary !== undefined) {
      versionId = addVersion(ctx, s, token, input.SecretString, input.SecretBinary).id;
    }
    return { ARN: s.arn, Name: s.name, VersionId: versionId };
  }),

  GetSecretValue: read<GetSecretValueCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : "AWSCURRENT");
    const v = s.versions.find(
      (x) => (!input.VersionId || x.id === input.VersionId) && (!stage || x.stages.includes(stage)),
    );
    if (!v) {
      throw ctx.err(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${stage}`}`,
      );
    }
    s.accessedAt = ctx.w.now();
    return {
      ARN: s.arn,
      Name: s.name,
      VersionId: v.id,
      SecretString: v.value,
      SecretBinary: v.binary,
      VersionStages: [...v.stages],
      CreatedDate: new Date(v.createdAt),
    };
  }),

  PutSecretValue: write<PutSecretValueCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId);
    if (input.SecretString === undefined && input.SecretBinary === undefined) {
      throw ctx.err("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    }
    const v = addVersion(
      ctx,
      s,
      checkToken(ctx, input.ClientRequestToken),
      input.SecretString,
      input.SecretBinary,
      input.VersionStages,
    );
    return { ARN: s.arn, Name: s.name, VersionId: v.id, VersionStages: [...v.stages] };
  }),

  UpdateSecret: write<UpdateSecretCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId);
    if (input.Description !== undefined) s.description = input.Description;
    if (input.KmsKeyId !== undefined) s.kmsKeyId = input.KmsKeyId;
    let versionId: string | undefined;
    if (input.SecretString !== undefined || input.SecretBinary !== undefined) {
      versionId = addVersion(
        ctx,
        s,
        checkToken(ctx, input.ClientRequestToken),
        input.SecretString,
        input.SecretBinary,
      ).id;
    }
    s.changedAt = ctx.w.now();
    return { ARN: s.arn, Name: s.name, VersionId: versionId };
  }),

  DescribeSecret: read<DescribeSecretCommandInput>((ctx, input) =>
    describe(ctx, getSecret(ctx, input.SecretId, true)),
  ),

  DeleteSecret: write<DeleteSecretCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId, true);
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      throw ctx.err(
        "InvalidParameterException",
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const days = input.RecoveryWindowInDays ?? 30;
    if (!input.ForceDeleteWithoutRecovery && (days < 7 || days > 30)) {
      throw ctx.err(
        "InvalidParameterException",
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
      );
    }
    if (s.deletedAt !== undefined && !input.ForceDeleteWithoutRecovery)
      throw ctx.err("InvalidRequestException", MARKED);
    const r = ctx.r;
    if (input.ForceDeleteWithoutRecovery) {
      r.secrets.delete(s.name);
      return { ARN: s.arn, Name: s.name, DeletionDate: new Date(ctx.w.now()) };
    }
    s.deletedAt = ctx.w.now();
    const epoch = ++s.deleteEpoch;
    const at = ctx.w.now() + days * DAY;
    ctx.w.clock.schedule(at, () => {
      if (s.deleteEpoch === epoch && s.deletedAt !== undefined && r.secrets.get(s.name) === s)
        r.secrets.delete(s.name);
    });
    return { ARN: s.arn, Name: s.name, DeletionDate: new Date(at) };
  }),

  RestoreSecret: write<RestoreSecretCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId, true);
    s.deletedAt = undefined;
    s.deleteEpoch++;
    return { ARN: s.arn, Name: s.name };
  }),

  TagResource: write<TagResourceCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId);
    s.tags = mergeTags(s.tags, input.Tags);
    return {};
  }),

  UntagResource: write<UntagResourceCommandInput>((ctx, input) => {
    const s = getSecret(ctx, input.SecretId);
    s.tags = s.tags.filter((t) => !(input.TagKeys ?? []).includes(t.Key));
    return {};
  }),

  ListSecrets: read<ListSecretsCommandInput>((ctx, input) => {
    let list = [...ctx.r.secrets.values()]
      .filter((s) => input.IncludePlannedDeletion || s.deletedAt === undefined)
      .filter((s) => ctx.w.visible("Secret", ctx.region, s.name));
    for (const f of input.Filters ?? []) {
      const vals = (f.Values ?? []).map((v) => v.toLowerCase());
      const pick: Record<string, (s: Secret) => string[]> = {
        name: (s) => [s.name],
        description: (s) => [s.description ?? ""],
        "tag-key": (s) => s.tags.map((t) => t.Key),
        "tag-value": (s) => s.tags.map((t) => t.Value),
        all: (s) => [s.name, s.description ?? "", ...s.tags.flatMap((t) => [t.Key, t.Value])],
      };
      const get = pick[f.Key ?? ""];
      if (!get) throw ctx.err("InvalidParameterException", `Invalid filter key: ${f.Key}`);
      // Filters match by prefix, case-insensitively; a value starting with ! negates.
      list = list.filter((s) =>
        vals.some((v) => {
          const neg = v.startsWith("!");
          const hit = get(s).some((x) => x.toLowerCase().startsWith(neg ? v.slice(1) : v));
          return neg ? !hit : hit;
        }),
      );
    }
    list.sort((a, b) => (input.SortOrder === "asc" ? a.createdAt - b.createdAt : b.createdAt - a.createdAt));
    const page = ctx.w.page("secretsmanager", list, input.NextToken, input.MaxResults, {
      min: 1,
      max: 100,
      param: "MaxResults",
      badToken: "InvalidNextTokenException",
    });
    return {
      SecretList: page.items.map((s) => {
        const d = describe(ctx, s);
        return { ...d, SecretVersionsToStages: d.VersionIdsToStages, VersionIdsToStages: undefined };
      }),
      NextToken: page.next,
    };
  }),

  GetRandomPassword: read<GetRandomPasswordCommandInput>((ctx, input) => {
    const len = input.PasswordLength ?? 32;
    if (len < 1 || len > 4096)
      throw ctx.err("InvalidParameterException", "PasswordLength must be between 1 and 4096.");
    const exclude = new Set(input.ExcludeCharacters ?? "");
    const sets = [
      input.ExcludeLowercase ? "" : "abcdefghijklmnopqrstuvwxyz",
      input.ExcludeUppercase ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
      input.ExcludeNumbers ? "" : "0123456789",
      input.ExcludePunctuation ? "" : "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
      input.IncludeSpace ? " " : "",
    ]
      .map((s) => [...s].filter((c) => !exclude.has(c)).join(""))
      .filter(Boolean);
    const all = sets.join("");
    if (!all) throw ctx.err("InvalidParameterException", "No characters left to build a password.");
    const chars = input.RequireEachIncludedType === false ? [] : sets.map((s) => ctx.w.chars(1, s));
    while (chars.length < len) chars.push(ctx.w.chars(1, all));
    for (let i = chars.length - 1; i > 0; i--) {
      const j = Math.floor(ctx.w.random() * (i + 1));
      [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    return { RandomPassword: chars.slice(0, len).join("") };
  }),
};
