import type {
  CreateRoleCommandInput,
  DeleteRoleCommandInput,
  UpdateAssumeRolePolicyCommandInput,
  DeleteRolePolicyCommandInput,
  GetInstanceProfileCommandInput,
  GetRoleCommandInput,
  GetRolePolicyCommandInput,
  ListAttachedRolePoliciesCommandInput,
  ListRolePoliciesCommandInput,
  PutRolePolicyCommandInput,
} from "@aws-sdk/client-iam";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import type { IamRole } from "./state.js";
import { mergeTags } from "./world.js";

const INLINE_MAX = 10_240;

function getRole(ctx: Ctx, name: string | undefined): IamRole {
  const role = ctx.w.iam.roles.get(name ?? "");
  if (!role || !ctx.w.visible("IAMRole", "global", role.name)) {
    throw ctx.err("NoSuchEntityException", `The role with name ${name} cannot be found.`, 404);
  }
  return role;
}

function roleShape(role: IamRole) {
  return {
    Path: "/",
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: new Date(role.createdAt),
    // IAM returns policy documents URL-encoded; the SDK does not decode them.
    AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
    MaxSessionDuration: 3600,
    Tags: role.tags.map((t) => ({ ...t })),
  };
}

function checkPolicy(ctx: Ctx, doc: string | undefined): void {
  try {
    const parsed = JSON.parse(doc ?? "");
    if (!parsed || typeof parsed !== "object" || !("Statement" in parsed)) throw new Error("no Statement");
  } catch {
    throw ctx.err("MalformedPolicyDocumentException", "Syntax errors in policy.");
  }
}

export const iamHandlers: Handlers = {
  GetRole: read<GetRoleCommandInput>((ctx, input) => ({ Role: roleShape(getRole(ctx, input.RoleName)) })),

  CreateRole: write<CreateRoleCommandInput>((ctx, input) => {
    const name = input.RoleName ?? "";
    if (!/^[\w+=,.@-]{1,64}$/.test(name)) throw ctx.err("ValidationError", `Invalid role name: ${name}`);
    if (ctx.w.iam.roles.has(name))
      throw ctx.err("EntityAlreadyExistsException", `Role with name ${name} already exists.`, 409);
    checkPolicy(ctx, input.AssumeRolePolicyDocument);
    const role: IamRole = {
      name,
      arn: `arn:aws:iam::${ctx.w.accountId}:role${input.Path ?? "/"}${name}`,
      roleId: `AROA${ctx.w.chars(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
      assumeRolePolicy: input.AssumeRolePolicyDocument ?? "",
      policies: new Map(),
      createdAt: ctx.w.now(),
      tags: mergeTags([], input.Tags),
    };
    ctx.w.iam.roles.set(name, role);
    ctx.w.created("IAMRole", "global", name);
    return { Role: roleShape(role) };
  }),

  DeleteRole: write<DeleteRoleCommandInput>((ctx, input) => {
    const role = getRole(ctx, input.RoleName);
    if (role.policies.size > 0)
      throw ctx.err("DeleteConflictException", "Cannot delete entity, must delete policies first.", 409);
    const inProfile = [...ctx.w.iam.instanceProfiles.values()].some((p) => p.roles.includes(role.name));
    if (inProfile)
      throw ctx.err(
        "DeleteConflictException",
        "Cannot delete entity, must remove roles from instance profile first.",
        409,
      );
    ctx.w.iam.roles.delete(role.name);
    return {};
  }),

  UpdateAssumeRolePolicy: write<UpdateAssumeRolePolicyCommandInput>((ctx, input) => {
    const role = getRole(ctx, input.RoleName);
    checkPolicy(ctx, input.PolicyDocument);
    role.assumeRolePolicy = input.PolicyDocument ?? "";
    return {};
  }),

  GetInstanceProfile: read<GetInstanceProfileCommandInput>((ctx, input) => {
    const p = ctx.w.iam.instanceProfiles.get(input.InstanceProfileName ?? "");
    if (!p)
      throw ctx.err(
        "NoSuchEntityException",
        `Instance Profile ${input.InstanceProfileName} cannot be found.`,
        404,
      );
    return {
      InstanceProfile: {
        Path: "/",
        InstanceProfileName: p.name,
        InstanceProfileId: p.id,
        Arn: p.arn,
        CreateDate: new Date(p.createdAt),
        Roles: p.roles
          .map((r) => ctx.w.iam.roles.get(r))
          .filter((r): r is IamRole => !!r)
          .map(roleShape),
      },
    };
  }),

  PutRolePolicy: write<PutRolePolicyCommandInput>((ctx, input) => {
    const role = getRole(ctx, input.RoleName);
    const name = input.PolicyName ?? "";
    if (!/^[\w+=,.@-]{1,128}$/.test(name)) throw ctx.err("ValidationError", `Invalid policy name: ${name}`);
    checkPolicy(ctx, input.PolicyDocument);
    const doc = input.PolicyDocument ?? "";
    let total = doc.replace(/\s/g, "").length;
    for (const [n, d] of role.policies) if (n !== name) total += d.replace(/\s/g, "").length;
    if (total > INLINE_MAX) {
      throw ctx.err(
        "LimitExceededException",
        `Maximum policy size of ${INLINE_MAX} bytes exceeded for role ${role.name}`,
        409,
      );
    }
    role.policies.set(name, doc);
    return {};
  }),

  GetRolePolicy: read<GetRolePolicyCommandInput>((ctx, input) => {
    const role = getRole(ctx, input.RoleName);
    const doc = role.policies.get(input.PolicyName ?? "");
    if (doc === undefined) {
      throw ctx.err(
        "NoSuchEntityException",
        `The role policy with name ${input.PolicyName} cannot be found.`,
        404,
      );
    }
    return { RoleName: role.name, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(doc) };
  }),

  DeleteRolePolicy: write<DeleteRolePolicyCommandInput>((ctx, input) => {
    const role = getRole(ctx, input.RoleName);
    if (!role.policies.delete(input.PolicyName ?? "")) {
      throw ctx.err(
        "NoSuchEntityException",
        `The role policy with name ${input.PolicyName} cannot be found.`,
        404,
      );
    }
    return {};
  }),

  ListRolePolicies: read<ListRolePoliciesCommandInput>((ctx, input) => {
    const role = getRole(ctx, input.RoleName);
    const names = [...role.policies.keys()].sort();
    const page = ctx.w.page("iam", names, input.Marker, input.MaxItems, {
      min: 1,
      max: 1000,
      param: "MaxItems",
    });
    return { PolicyNames: page.items, IsTruncated: page.next !== undefined, Marker: page.next };
  }),

  ListAttachedRolePolicies: read<ListAttachedRolePoliciesCommandInput>((ctx, input) => {
    getRole(ctx, input.RoleName);
    return { AttachedPolicies: [], IsTruncated: false };
  }),
};
