import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { systemError } from "../../errors.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";

/** A security group as we compare it. */
export interface LiveSg {
  id: string;
  name: string;
  vpcId: string;
  ingress: IpPermission[];
  /**
   * false: a group ebdb did not make (no ebdb:managed tag: the user's, or EB's, that `ebdb adopt`
   * named), whose rules ebdb did not add are left as they are. Undefined: ebdb's own.
   */
  ebdbMade?: boolean;
}

function toLive(g: SecurityGroup): LiveSg {
  return {
    id: g.GroupId!,
    name: g.GroupName!,
    vpcId: g.VpcId!,
    ingress: g.IpPermissions ?? [],
    ebdbMade: (g.Tags ?? []).some((t) => t.Key === "ebdb:managed" && t.Value === "true"),
  };
}

/** How the descriptions of the rules ebdb adds end, so it knows its own in a group it did not make. */
const EBDB_MARK = "(managed by ebdb)";
const EBDB_RULE = `database clients ${EBDB_MARK}`;

/** Our security groups in the VPC, by name (one call for both). */
export async function readSecurityGroups(
  aws: AwsClients,
  vpcId: string,
  names: string[],
): Promise<Map<string, LiveSg>> {
  const out = new Map<string, LiveSg>();
  let token: string | undefined;
  do {
    const r = await aws.ec2(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: "vpc-id", Values: [vpcId] },
          { Name: "group-name", Values: names },
        ],
        NextToken: token,
      }),
    );
    for (const g of r.SecurityGroups ?? []) out.set(g.GroupName!, toLive(g));
    token = r.NextToken;
  } while (token);
  return out;
}

/**
 * Groups of the VPC, other than `ours`, whose ingress or egress rules name one of `ours` (EC2 refuses
 * to delete a group another group's rule references: DependencyViolation). Returns each with the
 * names of ours it references.
 */
export async function readReferencingGroups(
  aws: AwsClients,
  vpcId: string,
  ours: LiveSg[],
): Promise<{ group: LiveSg; references: string[] }[]> {
  const names = new Map(ours.map((g) => [g.id, g.name]));
  if (names.size === 0) return [];
  const out: { group: LiveSg; references: string[] }[] = [];
  let token: string | undefined;
  do {
    const r = await aws.ec2(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }], NextToken: token }),
    );
    for (const g of r.SecurityGroups ?? []) {
      if (names.has(g.GroupId!)) continue;
      const refs = new Set<string>();
      for (const p of [...(g.IpPermissions ?? []), ...(g.IpPermissionsEgress ?? [])])
        for (const pair of p.UserIdGroupPairs ?? []) {
          const name = names.get(pair.GroupId ?? "");
          if (name) refs.add(name);
        }
      if (refs.size > 0) out.push({ group: toLive(g), references: [...refs].sort() });
    }
    token = r.NextToken;
  } while (token);
  return out;
}

/** Security groups by id (the EB instances' own groups). */
export async function readSecurityGroupsById(aws: AwsClients, ids: string[]): Promise<LiveSg[]> {
  if (ids.length === 0) return [];
  const r = await aws.ec2(new DescribeSecurityGroupsCommand({ GroupIds: ids }));
  return (r.SecurityGroups ?? []).map(toLive);
}

/** The one rule the DB security group should have: the engine's port from `sourceId`, nothing else. */
export function ruleMatches(p: IpPermission, port: number, sourceId: string): boolean {
  return (
    p.IpProtocol === "tcp" &&
    p.FromPort === port &&
    p.ToPort === port &&
    (p.IpRanges ?? []).length === 0 &&
    (p.Ipv6Ranges ?? []).length === 0 &&
    (p.PrefixListIds ?? []).length === 0 &&
    (p.UserIdGroupPairs ?? []).length === 1 &&
    p.UserIdGroupPairs![0].GroupId === sourceId
  );
}

/**
 * What is wrong with the DB security group's ingress: the wanted rule is missing, and/or other rules
 * exist. In a group ebdb did not make (`ebdbMade` false) only the rules ebdb added count as extra:
 * the owner's other sources (a bastion, an address range) stay.
 */
export function ingressDrift(
  sg: LiveSg,
  port: number,
  sourceId: string,
  keep: readonly string[] = [],
): { missing: boolean; extra: IpPermission[] } {
  const extra: IpPermission[] = [];
  let found = false;
  for (const p of sg.ingress) {
    // A permission may bundle several sources; split it so we keep ours and revoke the rest.
    const pairs = p.UserIdGroupPairs ?? [];
    const onPort = p.IpProtocol === "tcp" && p.FromPort === port && p.ToPort === port;
    const ours = onPort && pairs.some((g) => g.GroupId === sourceId);
    if (ours) found = true;
    // `keep`: other groups of ours that may reach the port (RDS Proxy's, which proxy.ts manages).
    const mine = <T extends { Description?: string }>(list: T[] | undefined): T[] =>
      (list ?? []).filter((x) => sg.ebdbMade !== false || (x.Description ?? "").endsWith(EBDB_MARK));
    const others = mine(
      onPort ? pairs.filter((g) => g.GroupId !== sourceId && !keep.includes(g.GroupId ?? "")) : pairs,
    );
    const [v4, v6, lists] = [mine(p.IpRanges), mine(p.Ipv6Ranges), mine(p.PrefixListIds)];
    const rest: IpPermission = {
      IpProtocol: p.IpProtocol,
      FromPort: p.FromPort,
      ToPort: p.ToPort,
      IpRanges: v4.length ? v4 : undefined,
      Ipv6Ranges: v6.length ? v6 : undefined,
      PrefixListIds: lists.length ? lists : undefined,
      UserIdGroupPairs: others.length ? others : undefined,
    };
    if (rest.IpRanges || rest.Ipv6Ranges || rest.PrefixListIds || rest.UserIdGroupPairs?.length) {
      if (rest.UserIdGroupPairs?.length === 0) rest.UserIdGroupPairs = undefined;
      extra.push(rest);
    }
  }
  return { missing: !found, extra };
}

/** Creates the group (tagged) unless it exists; a duplicate not yet visible is looked up again. */
export async function ensureSecurityGroup(
  ctx: AwsCtx,
  live: LiveSg | undefined,
  name: string,
  vpcId: string,
  description: string,
): Promise<LiveSg> {
  if (live) return live;
  try {
    const r = await ctx.aws.ec2(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: description,
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: "security-group", Tags: tagList(ctx.desired, { Name: name }) }],
      }),
    );
    return { id: r.GroupId!, name, vpcId, ingress: [] };
  } catch (e) {
    if (!isAwsCode(e, "InvalidGroup.Duplicate")) throw e;
  }
  for (let i = 0; i < 10; i++) {
    const found = (await readSecurityGroups(ctx.aws, vpcId, [name])).get(name);
    if (found) return found;
    await ctx.clock.sleep(2000 * (i + 1));
  }
  throw systemError("AWS_SG_INVISIBLE", `Security group ${name} exists but cannot be found in ${vpcId}.`);
}

/** Makes the DB group admit `port` only from `sourceId` (and the `keep` groups): authorizes the rule, revokes every other. */
export async function ensureIngress(
  ctx: AwsCtx,
  sg: LiveSg,
  port: number,
  sourceId: string,
  keep: readonly string[] = [],
): Promise<number> {
  const { missing, extra } = ingressDrift(sg, port, sourceId, keep);
  let calls = 0;
  if (missing) {
    try {
      await ctx.aws.ec2(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg.id,
          IpPermissions: [
            {
              IpProtocol: "tcp",
              FromPort: port,
              ToPort: port,
              UserIdGroupPairs: [{ GroupId: sourceId, Description: EBDB_RULE }],
            },
          ],
        }),
      );
    } catch (e) {
      if (!isAwsCode(e, "InvalidPermission.Duplicate")) throw e;
    }
    calls++;
  }
  if (extra.length > 0) {
    try {
      await ctx.aws.ec2(new RevokeSecurityGroupIngressCommand({ GroupId: sg.id, IpPermissions: extra }));
    } catch (e) {
      if (!isAwsCode(e, "InvalidPermission.NotFound")) throw e;
    }
    calls++;
  }
  return calls;
}

/** Deletes a group, retrying while something still uses it (EB instances being replaced, an RDS ENI). */
export async function deleteSecurityGroup(ctx: AwsCtx, sg: LiveSg): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await ctx.aws.ec2(new DeleteSecurityGroupCommand({ GroupId: sg.id }));
      return;
    } catch (e) {
      if (isAwsCode(e, "InvalidGroup.NotFound")) return;
      if (!isAwsCode(e, "DependencyViolation") || i >= 30) throw e;
      ctx.io.event({ type: "progress", message: `waiting for ${sg.name} to be unused before deleting it` });
      await ctx.clock.sleep(20_000);
    }
  }
}
