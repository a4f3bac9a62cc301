import type {
  AuthorizeSecurityGroupIngressCommandInput,
  CreateSecurityGroupCommandInput,
  DeleteSecurityGroupCommandInput,
  DescribeSecurityGroupsCommandInput,
  IpPermission,
  RevokeSecurityGroupIngressCommandInput,
  SecurityGroup as SdkSecurityGroup,
} from "@aws-sdk/client-ec2";
import { ebSecurityGroupsInUse } from "./eb-model.js";
import { byIds, ec2Page, filter } from "./ec2-util.js";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import type { SecurityGroup, SgRule } from "./state.js";
import { mergeTags } from "./world.js";

function getGroup(ctx: Ctx, id: string | undefined): SecurityGroup {
  const sg = ctx.r.ec2.securityGroups.get(id ?? "");
  if (!sg) throw ctx.err("InvalidGroup.NotFound", `The security group '${id}' does not exist`);
  return sg;
}

function ruleShape(ctx: Ctx, r: SgRule): IpPermission {
  return {
    IpProtocol: r.protocol,
    FromPort: r.protocol === "-1" ? undefined : r.fromPort,
    ToPort: r.protocol === "-1" ? undefined : r.toPort,
    UserIdGroupPairs: r.sourceGroupId
      ? [{ GroupId: r.sourceGroupId, UserId: ctx.w.accountId, Description: r.description }]
      : [],
    IpRanges: r.cidr ? [{ CidrIp: r.cidr, Description: r.description }] : [],
    Ipv6Ranges: [],
    PrefixListIds: [],
  };
}

function groupShape(ctx: Ctx, sg: SecurityGroup): SdkSecurityGroup {
  return {
    GroupId: sg.GroupId,
    GroupName: sg.GroupName,
    Description: sg.Description,
    VpcId: sg.VpcId,
    OwnerId: ctx.w.accountId,
    IpPermissions: sg.ingress.map((r) => ruleShape(ctx, r)),
    IpPermissionsEgress: sg.egress.map((r) => ruleShape(ctx, r)),
    Tags: sg.Tags.map((t) => ({ ...t })),
    SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.w.accountId}:security-group/${sg.GroupId}`,
  };
}

/** Flattens IpPermissions (and the legacy flat parameters) into one rule per source. */
function rulesOf(
  ctx: Ctx,
  input: AuthorizeSecurityGroupIngressCommandInput | RevokeSecurityGroupIngressCommandInput,
): SgRule[] {
  const perms: IpPermission[] = [...(input.IpPermissions ?? [])];
  if (input.IpProtocol || input.CidrIp) {
    perms.push({
      IpProtocol: input.IpProtocol ?? "-1",
      FromPort: input.FromPort,
      ToPort: input.ToPort,
      IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [],
    });
  }
  const out: SgRule[] = [];
  for (const p of perms) {
    const protocol = (p.IpProtocol ?? "").toLowerCase() === "all" ? "-1" : (p.IpProtocol ?? "").toLowerCase();
    if (!["tcp", "udp", "icmp", "-1"].includes(protocol) && !/^\d+$/.test(protocol)) {
      throw ctx.err(
        "InvalidParameterValue",
        `Invalid value '${p.IpProtocol}' for IP protocol. Unknown protocol.`,
      );
    }
    const base = {
      protocol,
      fromPort: protocol === "-1" ? undefined : p.FromPort,
      toPort: protocol === "-1" ? undefined : p.ToPort,
    };
    for (const pair of p.UserIdGroupPairs ?? []) {
      if (pair.GroupId) getGroup(ctx, pair.GroupId);
      out.push({
        ruleId: "",
        ...base,
        sourceGroupId: pair.GroupId,
        cidr: undefined,
        description: pair.Description,
      });
    }
    for (const range of p.IpRanges ?? []) {
      out.push({
        ruleId: "",
        ...base,
        sourceGroupId: undefined,
        cidr: range.CidrIp,
        description: range.Description,
      });
    }
  }
  if (out.length === 0) throw ctx.err("MissingParameter", "No IP permissions were specified.");
  return out;
}

const sameRule = (a: SgRule, b: SgRule) =>
  a.protocol === b.protocol &&
  a.fromPort === b.fromPort &&
  a.toPort === b.toPort &&
  a.sourceGroupId === b.sourceGroupId &&
  a.cidr === b.cidr;

function describeRule(r: SgRule): string {
  const peer = r.sourceGroupId ?? r.cidr;
  return `peer: ${peer}, ${r.protocol === "-1" ? "ALL" : r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW`;
}

export const ec2SecurityGroupHandlers: Handlers = {
  DescribeSecurityGroups: read<DescribeSecurityGroupsCommandInput>((ctx, input) => {
    let groups = byIds(ctx, ctx.r.ec2.securityGroups, input.GroupIds, (id) => [
      "InvalidGroup.NotFound",
      `The security group '${id}' does not exist`,
    ]);
    if (input.GroupIds?.length) {
      for (const g of groups) {
        if (!ctx.w.visible("SecurityGroup", ctx.region, g.GroupId)) {
          throw ctx.err("InvalidGroup.NotFound", `The security group '${g.GroupId}' does not exist`);
        }
      }
    } else {
      groups = groups.filter((g) => ctx.w.visible("SecurityGroup", ctx.region, g.GroupId));
    }
    if (input.GroupNames?.length) groups = groups.filter((g) => input.GroupNames?.includes(g.GroupName));
    groups = filter(ctx, groups, input.Filters, {
      "group-name": (g) => g.GroupName,
      "group-id": (g) => g.GroupId,
      "vpc-id": (g) => g.VpcId,
      description: (g) => g.Description,
      "owner-id": () => ctx.w.accountId,
    });
    const page = ec2Page(ctx, groups, input, input.GroupIds);
    return { SecurityGroups: page.items.map((g) => groupShape(ctx, g)), NextToken: page.next };
  }),

  CreateSecurityGroup: write<CreateSecurityGroupCommandInput>((ctx, input) => {
    const name = input.GroupName ?? "";
    if (!input.VpcId) throw ctx.err("VPCIdNotSpecified", "No default VPC for this user");
    if (!ctx.r.ec2.vpcs.has(input.VpcId))
      throw ctx.err("InvalidVpcID.NotFound", `The vpc ID '${input.VpcId}' does not exist`);
    if (!name || name.length > 255 || name.toLowerCase().startsWith("sg-")) {
      throw ctx.err(
        "InvalidParameterValue",
        `Invalid value '${name}' for groupName. Group names may not be in the format sg-* and must be 1-255 characters.`,
      );
    }
    if (!input.Description)
      throw ctx.err("MissingParameter", "The request must contain the parameter GroupDescription");
    const dup = [...ctx.r.ec2.securityGroups.values()].find(
      (g) => g.VpcId === input.VpcId && g.GroupName === name,
    );
    if (dup)
      throw ctx.err(
        "InvalidGroup.Duplicate",
        `The security group '${name}' already exists for VPC '${input.VpcId}'`,
      );
    const tags = (input.TagSpecifications ?? [])
      .filter((s) => !s.ResourceType || s.ResourceType === "security-group")
      .flatMap((s) => s.Tags ?? []);
    const sg: SecurityGroup = {
      GroupId: `sg-${ctx.w.hex(17)}`,
      GroupName: name,
      Description: input.Description,
      VpcId: input.VpcId,
      ingress: [],
      egress: [
        {
          ruleId: `sgr-${ctx.w.hex(17)}`,
          protocol: "-1",
          fromPort: undefined,
          toPort: undefined,
          sourceGroupId: undefined,
          cidr: "0.0.0.0/0",
          description: undefined,
        },
      ],
      Tags: mergeTags([], tags),
    };
    ctx.r.ec2.securityGroups.set(sg.GroupId, sg);
    ctx.w.created("SecurityGroup", ctx.region, sg.GroupId);
    return {
      GroupId: sg.GroupId,
      SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.w.accountId}:security-group/${sg.GroupId}`,
      Tags: sg.Tags,
    };
  }),

  AuthorizeSecurityGroupIngress: write<AuthorizeSecurityGroupIngressCommandInput>((ctx, input) => {
    const sg = getGroup(ctx, input.GroupId);
    const rules = rulesOf(ctx, input);
    for (const r of rules) {
      if (sg.ingress.some((x) => sameRule(x, r)) || rules.filter((x) => sameRule(x, r)).length > 1) {
        throw ctx.err(
          "InvalidPermission.Duplicate",
          `the specified rule "${describeRule(r)}" already exists`,
        );
      }
    }
    for (const r of rules) r.ruleId = `sgr-${ctx.w.hex(17)}`;
    sg.ingress.push(...rules);
    return {
      Return: true,
      SecurityGroupRules: rules.map((r) => ({
        SecurityGroupRuleId: r.ruleId,
        GroupId: sg.GroupId,
        GroupOwnerId: ctx.w.accountId,
        IsEgress: false,
        IpProtocol: r.protocol,
        FromPort: r.fromPort ?? -1,
        ToPort: r.toPort ?? -1,
        CidrIpv4: r.cidr,
        ReferencedGroupInfo: r.sourceGroupId
          ? { GroupId: r.sourceGroupId, UserId: ctx.w.accountId }
          : undefined,
        Description: r.description,
      })),
    };
  }),

  RevokeSecurityGroupIngress: write<RevokeSecurityGroupIngressCommandInput>((ctx, input) => {
    const sg = getGroup(ctx, input.GroupId);
    if (input.SecurityGroupRuleIds?.length) {
      for (const id of input.SecurityGroupRuleIds) {
        if (!sg.ingress.some((r) => r.ruleId === id)) {
          throw ctx.err(
            "InvalidSecurityGroupRuleId.NotFound",
            `The security group rule ID '${id}' does not exist`,
          );
        }
      }
      sg.ingress = sg.ingress.filter((r) => !input.SecurityGroupRuleIds?.includes(r.ruleId));
      return { Return: true };
    }
    const rules = rulesOf(ctx, input);
    for (const r of rules) {
      if (!sg.ingress.some((x) => sameRule(x, r))) {
        throw ctx.err(
          "InvalidPermission.NotFound",
          "The specified rule does not exist in this security group.",
        );
      }
    }
    sg.ingress = sg.ingress.filter((x) => !rules.some((r) => sameRule(x, r)));
    return { Return: true };
  }),

  DeleteSecurityGroup: write<DeleteSecurityGroupCommandInput>((ctx, input) => {
    const sg = getGroup(ctx, input.GroupId);
    if (sg.GroupName === "default") {
      throw ctx.err(
        "CannotDelete",
        `the specified group: "${sg.GroupId}" name: "default" cannot be deleted by a user`,
      );
    }
    const usedByDb = [...ctx.r.rds.instances.values()].some((i) =>
      i.vpcSecurityGroupIds.includes(sg.GroupId),
    );
    const usedByEb = ebSecurityGroupsInUse(ctx.r).has(sg.GroupId);
    const usedByProxy = [...ctx.r.rds.proxies.values()].some((p) => p.securityGroupIds.includes(sg.GroupId));
    const referenced = [...ctx.r.ec2.securityGroups.values()].some(
      (g) =>
        g.GroupId !== sg.GroupId && [...g.ingress, ...g.egress].some((r) => r.sourceGroupId === sg.GroupId),
    );
    if (usedByDb || usedByEb || usedByProxy || referenced) {
      throw ctx.err("DependencyViolation", `resource ${sg.GroupId} has a dependent object`);
    }
    ctx.r.ec2.securityGroups.delete(sg.GroupId);
    return { Return: true, GroupId: sg.GroupId };
  }),
};
