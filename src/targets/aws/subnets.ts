import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  type RouteTable,
  type Subnet,
} from "@aws-sdk/client-ec2";
import {
  CreateDBSubnetGroupCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBSubnetGroupCommand,
} from "@aws-sdk/client-rds";
import { userError } from "../../errors.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";

export interface LiveSubnetGroup {
  name: string;
  vpcId: string;
  /** Subnet id → availability zone. */
  subnets: Record<string, string>;
}

export async function readSubnetGroup(aws: AwsClients, name: string): Promise<LiveSubnetGroup | null> {
  try {
    const r = await aws.rds(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }));
    const g = r.DBSubnetGroups?.[0];
    if (!g) return null;
    const subnets: Record<string, string> = {};
    for (const s of g.Subnets ?? []) subnets[s.SubnetIdentifier!] = s.SubnetAvailabilityZone?.Name ?? "";
    return { name, vpcId: g.VpcId!, subnets };
  } catch (e) {
    if (isAwsCode(e, "DBSubnetGroupNotFoundFault")) return null;
    throw e;
  }
}

export function zonesOf(g: LiveSubnetGroup): string[] {
  return [...new Set(Object.values(g.subnets))].sort();
}

/**
 * Whether the group fits: the EB environment's VPC, at least two zones, and exactly the DBSubnets the
 * environment names when it names some (otherwise any private subnets of the VPC will do).
 */
export function subnetGroupFits(g: LiveSubnetGroup, vpcId: string, dbSubnets: string[]): boolean {
  if (g.vpcId !== vpcId || zonesOf(g).length < 2) return false;
  if (dbSubnets.length === 0) return true;
  const have = Object.keys(g.subnets).sort();
  return have.length === dbSubnets.length && [...dbSubnets].sort().every((s, i) => s === have[i]);
}

/**
 * The subnets for the database: the EB environment's DBSubnets when set; otherwise the VPC's private
 * subnets (no route to an internet gateway), which must cover at least two availability zones.
 */
export async function chooseSubnets(ctx: AwsCtx, vpcId: string, dbSubnets: string[]): Promise<string[]> {
  if (dbSubnets.length > 0) return dbSubnets;
  const subnets: Subnet[] = [];
  let token: string | undefined;
  do {
    const r = await ctx.aws.ec2(
      new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }], NextToken: token }),
    );
    subnets.push(...(r.Subnets ?? []));
    token = r.NextToken;
  } while (token);
  const publicIds = await publicSubnets(ctx.aws, vpcId, subnets);
  const priv = subnets.filter((s) => !publicIds.has(s.SubnetId!));
  const zones = new Set(priv.map((s) => s.AvailabilityZone));
  if (zones.size < 2) {
    throw userError(
      "AWS_NO_PRIVATE_SUBNETS",
      `VPC ${vpcId} of the EB environment has private subnets in ${zones.size} availability zone(s); RDS needs at least two.`,
      "Add a private subnet (no route to an internet gateway) in a second availability zone, or set the EB environment's aws:ec2:vpc DBSubnets option.",
    );
  }
  return priv.map((s) => s.SubnetId!).sort();
}

/** Subnets whose route table (their own, or the VPC's main one) sends 0.0.0.0/0 to an internet gateway. */
async function publicSubnets(aws: AwsClients, vpcId: string, subnets: Subnet[]): Promise<Set<string>> {
  const tables: RouteTable[] = [];
  let token: string | undefined;
  do {
    const r = await aws.ec2(
      new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }], NextToken: token }),
    );
    tables.push(...(r.RouteTables ?? []));
    token = r.NextToken;
  } while (token);
  const viaIgw = (t: RouteTable) =>
    (t.Routes ?? []).some(
      (r) => r.DestinationCidrBlock === "0.0.0.0/0" && (r.GatewayId ?? "").startsWith("igw-"),
    );
  const main = tables.find((t) => (t.Associations ?? []).some((a) => a.Main));
  const out = new Set<string>();
  for (const s of subnets) {
    const own = tables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === s.SubnetId));
    const table = own ?? main;
    if (table ? viaIgw(table) : s.MapPublicIpOnLaunch) out.add(s.SubnetId!);
  }
  return out;
}

/** Creates the subnet group, or moves it to `subnetIds` when it does not fit. */
export async function ensureSubnetGroup(
  ctx: AwsCtx,
  live: LiveSubnetGroup | null,
  subnetIds: string[],
): Promise<void> {
  const name = ctx.desired.network.subnetGroup;
  const description = `Subnets of ${ctx.desired.identifier} (managed by ebdb)`;
  if (live) {
    await ctx.aws.rds(
      new ModifyDBSubnetGroupCommand({
        DBSubnetGroupName: name,
        DBSubnetGroupDescription: description,
        SubnetIds: subnetIds,
      }),
    );
    return;
  }
  try {
    await ctx.aws.rds(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: name,
        DBSubnetGroupDescription: description,
        SubnetIds: subnetIds,
        Tags: tagList(ctx.desired),
      }),
    );
  } catch (e) {
    if (!isAwsCode(e, "DBSubnetGroupAlreadyExistsFault", "DBSubnetGroupAlreadyExists")) throw e;
  }
}

export async function deleteSubnetGroup(aws: AwsClients, name: string): Promise<void> {
  try {
    await aws.rds(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: name }));
  } catch (e) {
    if (!isAwsCode(e, "DBSubnetGroupNotFoundFault")) throw e;
  }
}
