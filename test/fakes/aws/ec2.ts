import type {
  AuthorizeSecurityGroupIngressCommandInput,
  CreateSecurityGroupCommandInput,
  CreateTagsCommandInput,
  DeleteSecurityGroupCommandInput,
  DeleteTagsCommandInput,
  DescribeAvailabilityZonesCommandInput,
  DescribeRouteTablesCommandInput,
  DescribeSecurityGroupsCommandInput,
  DescribeSubnetsCommandInput,
  DescribeVpcsCommandInput,
  Filter,
  IpPermission,
  RevokeSecurityGroupIngressCommandInput,
  SecurityGroup as SdkSecurityGroup,
} from "@aws-sdk/client-ec2";
import { ebSecurityGroupsInUse } from "./eb-model.js";
import { type Ctx, type Handlers, read, tagFilterMatches, wildcard, write } from "./kit.js";
import type { SecurityGroup, SgRule, Tag } from "./state.js";
import { mergeTags } from "./world.js";

type Fields<T> = Record<string, (item: T) => string | string[] | undefined>;

/** EC2 filters: every filter must match (values OR'ed, `*` wildcards); an unknown name is refused. */
function filter<T extends { Tags: Tag[] }>(ctx: Ctx, items: T[], filters: Filter[] | undefined, fields: Fields<T>): T[] {
  return items.filter((item) =>
    (filters ?? []).every((f) => {
      const name = f.Name ?? "";
      const values = f.Values ?? [];
      const byTag = tagFilterMatches(item.Tags, name, values);
      if (byTag !== undefined) return byTag;
      const get = fields[name];
      if (!get) throw ctx.err("InvalidParameterValue", `The filter '${name}' is invalid`);
      const v = get(item);
      const have = Array.isArray(v) ? v : v === undefined ? [] : [v];
      return have.some((h) => values.some((pat) => wildcard(pat, h)));
    }),
  );
}

/** EC2 pages with MaxResults/NextToken; MaxResults cannot be combined with explicit ids. */
function ec2Page<T>(ctx: Ctx, items: T[], input: { NextToken?: string; MaxResults?: number }, ids: unknown[] | undefined, min = 5) {
  if (ids && ids.length > 0) {
    if (input.MaxResults !== undefined) {
      throw ctx.err("InvalidParameterCombination", "The parameter ids cannot be used with the parameter maxResults");
    }
    return { items, next: undefined };
  }
  return ctx.w.page("ec2", items, input.NextToken, input.MaxResults, { min, max: 1000, param: "MaxResults", badToken: "InvalidPaginationToken" });
}

function byIds<T>(ctx: Ctx, map: Map<string, T>, ids: string[] | undefined, notFound: (id: string) => [string, string]): T[] {
  if (!ids || ids.length === 0) return [...map.values()];
  return ids.map((id) => {
    const v = map.get(id);
    if (!v) {
      const [code, msg] = notFound(id);
      throw ctx.err(code, msg);
    }
    return v;
  });
}

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
    UserIdGroupPairs: r.sourceGroupId ? [{ GroupId: r.sourceGroupId, UserId: ctx.w.accountId, Description: r.description }] : [],
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
function rulesOf(ctx: Ctx, input: AuthorizeSecurityGroupIngressCommandInput | RevokeSecurityGroupIngressCommandInput): SgRule[] {
  const perms: IpPermission[] = [...(input.IpPermissions ?? [])];
  if (input.IpProtocol || input.CidrIp) {
    perms.push({ IpProtocol: input.IpProtocol ?? "-1", FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [] });
  }
  const out: SgRule[] = [];
  for (const p of perms) {
    const protocol = (p.IpProtocol ?? "").toLowerCase() === "all" ? "-1" : (p.IpProtocol ?? "").toLowerCase();
    if (!["tcp", "udp", "icmp", "-1"].includes(protocol) && !/^\d+$/.test(protocol)) {
      throw ctx.err("InvalidParameterValue", `Invalid value '${p.IpProtocol}' for IP protocol. Unknown protocol.`);
    }
    const base = { protocol, fromPort: protocol === "-1" ? undefined : p.FromPort, toPort: protocol === "-1" ? undefined : p.ToPort };
    for (const pair of p.UserIdGroupPairs ?? []) {
      if (pair.GroupId) getGroup(ctx, pair.GroupId);
      out.push({ ruleId: "", ...base, sourceGroupId: pair.GroupId, cidr: undefined, description: pair.Description });
    }
    for (const range of p.IpRanges ?? []) {
      out.push({ ruleId: "", ...base, sourceGroupId: undefined, cidr: range.CidrIp, description: range.Description });
    }
  }
  if (out.length === 0) throw ctx.err("MissingParameter", "No IP permissions were specified.");
  return out;
}

const sameRule = (a: SgRule, b: SgRule) =>
  a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort && a.sourceGroupId === b.sourceGroupId && a.cidr === b.cidr;

function describeRule(r: SgRule): string {
  const peer = r.sourceGroupId ?? r.cidr;
  return `peer: ${peer}, ${r.protocol === "-1" ? "ALL" : r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW`;
}

export const ec2Handlers: Handlers = {
  DescribeVpcs: read<DescribeVpcsCommandInput>((ctx, input) => {
    let vpcs = byIds(ctx, ctx.r.ec2.vpcs, input.VpcIds, (id) => ["InvalidVpcID.NotFound", `The vpc ID '${id}' does not exist`]);
    vpcs = filter(ctx, vpcs, input.Filters, {
      "vpc-id": (v) => v.VpcId,
      "is-default": (v) => String(v.IsDefault),
      "cidr-block": (v) => v.CidrBlock,
      state: () => "available",
    });
    const page = ec2Page(ctx, vpcs, input, input.VpcIds);
    return {
      Vpcs: page.items.map((v) => ({ VpcId: v.VpcId, CidrBlock: v.CidrBlock, IsDefault: v.IsDefault, State: "available", OwnerId: ctx.w.accountId, Tags: v.Tags.map((t) => ({ ...t })) })),
      NextToken: page.next,
    };
  }),

  DescribeSubnets: read<DescribeSubnetsCommandInput>((ctx, input) => {
    let subnets = byIds(ctx, ctx.r.ec2.subnets, input.SubnetIds, (id) => ["InvalidSubnetID.NotFound", `The subnet ID '${id}' does not exist`]);
    subnets = filter(ctx, subnets, input.Filters, {
      "vpc-id": (s) => s.VpcId,
      "subnet-id": (s) => s.SubnetId,
      "availability-zone": (s) => s.AvailabilityZone,
      "map-public-ip-on-launch": (s) => String(s.MapPublicIpOnLaunch),
      "cidr-block": (s) => s.CidrBlock,
      state: () => "available",
    });
    const page = ec2Page(ctx, subnets, input, input.SubnetIds);
    return {
      Subnets: page.items.map((s) => ({
        SubnetId: s.SubnetId,
        VpcId: s.VpcId,
        AvailabilityZone: s.AvailabilityZone,
        AvailabilityZoneId: `use1-az${s.AvailabilityZone.charCodeAt(s.AvailabilityZone.length - 1) - 96}`,
        CidrBlock: s.CidrBlock,
        MapPublicIpOnLaunch: s.MapPublicIpOnLaunch,
        State: "available",
        AvailableIpAddressCount: 250,
        DefaultForAz: false,
        OwnerId: ctx.w.accountId,
        SubnetArn: `arn:aws:ec2:${ctx.region}:${ctx.w.accountId}:subnet/${s.SubnetId}`,
        Tags: s.Tags.map((t) => ({ ...t })),
      })),
      NextToken: page.next,
    };
  }),

  DescribeRouteTables: read<DescribeRouteTablesCommandInput>((ctx, input) => {
    const tables = byIds(ctx, ctx.r.ec2.routeTables, input.RouteTableIds, (id) => ["InvalidRouteTableID.NotFound", `The routeTable ID '${id}' does not exist`]);
    const withTags = tables.map((t) => ({ ...t, Tags: [] as Tag[] }));
    const found = filter(ctx, withTags, input.Filters, {
      "vpc-id": (t) => t.VpcId,
      "route-table-id": (t) => t.RouteTableId,
      "association.subnet-id": (t) => t.subnetIds,
      "association.main": (t) => String(t.main),
      "route.gateway-id": (t) => (t.defaultRoute?.startsWith("igw-") ? t.defaultRoute : undefined),
      "route.nat-gateway-id": (t) => (t.defaultRoute?.startsWith("nat-") ? t.defaultRoute : undefined),
    });
    const page = ec2Page(ctx, found, input, input.RouteTableIds);
    return {
      RouteTables: page.items.map((t) => ({
        RouteTableId: t.RouteTableId,
        VpcId: t.VpcId,
        OwnerId: ctx.w.accountId,
        Associations: [
          ...(t.main ? [{ Main: true, RouteTableId: t.RouteTableId, RouteTableAssociationId: `rtbassoc-${t.RouteTableId.slice(4)}m` }] : []),
          ...t.subnetIds.map((s, i) => ({ Main: false, SubnetId: s, RouteTableId: t.RouteTableId, RouteTableAssociationId: `rtbassoc-${t.RouteTableId.slice(4)}${i}` })),
        ],
        Routes: [
          { DestinationCidrBlock: ctx.r.ec2.vpcs.get(t.VpcId)?.CidrBlock, GatewayId: "local", State: "active", Origin: "CreateRouteTable" },
          ...(t.defaultRoute
            ? [t.defaultRoute.startsWith("nat-")
                ? { DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: t.defaultRoute, State: "active", Origin: "CreateRoute" }
                : { DestinationCidrBlock: "0.0.0.0/0", GatewayId: t.defaultRoute, State: "active", Origin: "CreateRoute" }]
            : []),
        ],
        Tags: [],
      })),
      NextToken: page.next,
    };
  }),

  DescribeSecurityGroups: read<DescribeSecurityGroupsCommandInput>((ctx, input) => {
    let groups = byIds(ctx, ctx.r.ec2.securityGroups, input.GroupIds, (id) => ["InvalidGroup.NotFound", `The security group '${id}' does not exist`]);
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
    if (!ctx.r.ec2.vpcs.has(input.VpcId)) throw ctx.err("InvalidVpcID.NotFound", `The vpc ID '${input.VpcId}' does not exist`);
    if (!name || name.length > 255 || name.toLowerCase().startsWith("sg-")) {
      throw ctx.err("InvalidParameterValue", `Invalid value '${name}' for groupName. Group names may not be in the format sg-* and must be 1-255 characters.`);
    }
    if (!input.Description) throw ctx.err("MissingParameter", "The request must contain the parameter GroupDescription");
    const dup = [...ctx.r.ec2.securityGroups.values()].find((g) => g.VpcId === input.VpcId && g.GroupName === name);
    if (dup) throw ctx.err("InvalidGroup.Duplicate", `The security group '${name}' already exists for VPC '${input.VpcId}'`);
    const tags = (input.TagSpecifications ?? []).filter((s) => !s.ResourceType || s.ResourceType === "security-group").flatMap((s) => s.Tags ?? []);
    const sg: SecurityGroup = {
      GroupId: `sg-${ctx.w.hex(17)}`,
      GroupName: name,
      Description: input.Description,
      VpcId: input.VpcId,
      ingress: [],
      egress: [{ ruleId: `sgr-${ctx.w.hex(17)}`, protocol: "-1", fromPort: undefined, toPort: undefined, sourceGroupId: undefined, cidr: "0.0.0.0/0", description: undefined }],
      Tags: mergeTags([], tags),
    };
    ctx.r.ec2.securityGroups.set(sg.GroupId, sg);
    ctx.w.created("SecurityGroup", ctx.region, sg.GroupId);
    return { GroupId: sg.GroupId, SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.w.accountId}:security-group/${sg.GroupId}`, Tags: sg.Tags };
  }),

  AuthorizeSecurityGroupIngress: write<AuthorizeSecurityGroupIngressCommandInput>((ctx, input) => {
    const sg = getGroup(ctx, input.GroupId);
    const rules = rulesOf(ctx, input);
    for (const r of rules) {
      if (sg.ingress.some((x) => sameRule(x, r)) || rules.filter((x) => sameRule(x, r)).length > 1) {
        throw ctx.err("InvalidPermission.Duplicate", `the specified rule "${describeRule(r)}" already exists`);
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
        ReferencedGroupInfo: r.sourceGroupId ? { GroupId: r.sourceGroupId, UserId: ctx.w.accountId } : undefined,
        Description: r.description,
      })),
    };
  }),

  RevokeSecurityGroupIngress: write<RevokeSecurityGroupIngressCommandInput>((ctx, input) => {
    const sg = getGroup(ctx, input.GroupId);
    if (input.SecurityGroupRuleIds?.length) {
      for (const id of input.SecurityGroupRuleIds) {
        if (!sg.ingress.some((r) => r.ruleId === id)) {
          throw ctx.err("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`);
        }
      }
      sg.ingress = sg.ingress.filter((r) => !input.SecurityGroupRuleIds?.includes(r.ruleId));
      return { Return: true };
    }
    const rules = rulesOf(ctx, input);
    for (const r of rules) {
      if (!sg.ingress.some((x) => sameRule(x, r))) {
        throw ctx.err("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
      }
    }
    sg.ingress = sg.ingress.filter((x) => !rules.some((r) => sameRule(x, r)));
    return { Return: true };
  }),

  DeleteSecurityGroup: write<DeleteSecurityGroupCommandInput>((ctx, input) => {
    const sg = getGroup(ctx, input.GroupId);
    if (sg.GroupName === "default") {
      throw ctx.err("CannotDelete", `the specified group: "${sg.GroupId}" name: "default" cannot be deleted by a user`);
    }
    const usedByDb = [...ctx.r.rds.instances.values()].some((i) => i.vpcSecurityGroupIds.includes(sg.GroupId));
    const usedByEb = ebSecurityGroupsInUse(ctx.r).has(sg.GroupId);
    const referenced = [...ctx.r.ec2.securityGroups.values()].some(
      (g) => g.GroupId !== sg.GroupId && [...g.ingress, ...g.egress].some((r) => r.sourceGroupId === sg.GroupId),
    );
    if (usedByDb || usedByEb || referenced) {
      throw ctx.err("DependencyViolation", `resource ${sg.GroupId} has a dependent object`);
    }
    ctx.r.ec2.securityGroups.delete(sg.GroupId);
    return { Return: true, GroupId: sg.GroupId };
  }),

  CreateTags: write<CreateTagsCommandInput>((ctx, input) => {
    for (const id of input.Resources ?? []) {
      const target = ctx.r.ec2.securityGroups.get(id) ?? ctx.r.ec2.vpcs.get(id) ?? ctx.r.ec2.subnets.get(id);
      if (!target) {
        const code = id.startsWith("sg-") ? "InvalidGroup.NotFound" : "InvalidID";
        throw ctx.err(code, `The ID '${id}' is not valid`);
      }
      target.Tags = mergeTags(target.Tags, input.Tags);
    }
    return {};
  }),

  DeleteTags: write<DeleteTagsCommandInput>((ctx, input) => {
    for (const id of input.Resources ?? []) {
      const target = ctx.r.ec2.securityGroups.get(id) ?? ctx.r.ec2.vpcs.get(id) ?? ctx.r.ec2.subnets.get(id);
      if (!target) throw ctx.err("InvalidID", `The ID '${id}' is not valid`);
      target.Tags = target.Tags.filter((t) => !(input.Tags ?? []).some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)));
    }
    return {};
  }),

  DescribeAvailabilityZones: read<DescribeAvailabilityZonesCommandInput>((ctx, input) => {
    const zones = ["a", "b", "c", "d"].map((s, i) => ({
      ZoneName: `${ctx.region}${s}`,
      ZoneId: `${ctx.region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`,
      State: "available" as const,
      RegionName: ctx.region,
      ZoneType: "availability-zone",
      OptInStatus: "opt-in-not-required" as const,
      Messages: [],
      GroupName: ctx.region,
      NetworkBorderGroup: ctx.region,
    }));
    const wanted = input.ZoneNames;
    return { AvailabilityZones: zones.filter((z) => !wanted?.length || wanted.includes(z.ZoneName)) };
  }),
};
