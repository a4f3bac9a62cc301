import type {
  CreateTagsCommandInput,
  DeleteTagsCommandInput,
  DescribeAvailabilityZonesCommandInput,
  DescribeRouteTablesCommandInput,
  DescribeSubnetsCommandInput,
  DescribeVpcsCommandInput,
} from "@aws-sdk/client-ec2";
import { ec2SecurityGroupHandlers } from "./ec2-security-groups.js";
import { byIds, ec2Page, filter, zoneId } from "./ec2-util.js";
import { type Handlers, read, write } from "./kit.js";
import type { Tag } from "./state.js";
import { mergeTags } from "./world.js";

export const ec2Handlers: Handlers = {
  ...ec2SecurityGroupHandlers,
  DescribeVpcs: read<DescribeVpcsCommandInput>((ctx, input) => {
    let vpcs = byIds(ctx, ctx.r.ec2.vpcs, input.VpcIds, (id) => [
      "InvalidVpcID.NotFound",
      `The vpc ID '${id}' does not exist`,
    ]);
    vpcs = filter(ctx, vpcs, input.Filters, {
      "vpc-id": (v) => v.VpcId,
      "is-default": (v) => String(v.IsDefault),
      "cidr-block": (v) => v.CidrBlock,
      state: () => "available",
    });
    const page = ec2Page(ctx, vpcs, input, input.VpcIds);
    return {
      Vpcs: page.items.map((v) => ({
        VpcId: v.VpcId,
        CidrBlock: v.CidrBlock,
        IsDefault: v.IsDefault,
        State: "available",
        OwnerId: ctx.w.accountId,
        Tags: v.Tags.map((t) => ({ ...t })),
      })),
      NextToken: page.next,
    };
  }),

  DescribeSubnets: read<DescribeSubnetsCommandInput>((ctx, input) => {
    let subnets = byIds(ctx, ctx.r.ec2.subnets, input.SubnetIds, (id) => [
      "InvalidSubnetID.NotFound",
      `The subnet ID '${id}' does not exist`,
    ]);
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
        AvailabilityZoneId: zoneId(s.AvailabilityZone),
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
    const tables = byIds(ctx, ctx.r.ec2.routeTables, input.RouteTableIds, (id) => [
      "InvalidRouteTableID.NotFound",
      `The routeTable ID '${id}' does not exist`,
    ]);
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
          ...(t.main
            ? [
                {
                  Main: true,
                  RouteTableId: t.RouteTableId,
                  RouteTableAssociationId: `rtbassoc-${t.RouteTableId.slice(4)}m`,
                },
              ]
            : []),
          ...t.subnetIds.map((s, i) => ({
            Main: false,
            SubnetId: s,
            RouteTableId: t.RouteTableId,
            RouteTableAssociationId: `rtbassoc-${t.RouteTableId.slice(4)}${i}`,
          })),
        ],
        Routes: [
          {
            DestinationCidrBlock: ctx.r.ec2.vpcs.get(t.VpcId)?.CidrBlock,
            GatewayId: "local",
            State: "active",
            Origin: "CreateRouteTable",
          },
          ...(t.defaultRoute
            ? [
                t.defaultRoute.startsWith("nat-")
                  ? {
                      DestinationCidrBlock: "0.0.0.0/0",
                      NatGatewayId: t.defaultRoute,
                      State: "active",
                      Origin: "CreateRoute",
                    }
                  : {
                      DestinationCidrBlock: "0.0.0.0/0",
                      GatewayId: t.defaultRoute,
                      State: "active",
                      Origin: "CreateRoute",
                    },
              ]
            : []),
        ],
        Tags: [],
      })),
      NextToken: page.next,
    };
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
      target.Tags = target.Tags.filter(
        (t) =>
          !(input.Tags ?? []).some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)),
      );
    }
    return {};
  }),

  DescribeAvailabilityZones: read<DescribeAvailabilityZonesCommandInput>((ctx, input) => {
    const zones = ["a", "b", "c", "d"].map((s) => ({
      ZoneName: `${ctx.region}${s}`,
      ZoneId: zoneId(`${ctx.region}${s}`),
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
