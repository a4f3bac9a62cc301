import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeAvailabilityZonesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  paginateDescribeSecurityGroups,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import { CreateDBInstanceCommand } from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, type SeededEnvironment, seedDefaultEnvironment } from "./index.js";
import { credentials, instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
let env: SeededEnvironment;
const ec2 = () => new EC2Client({ region: "us-east-1", credentials });
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

const ingress = (source: string, port = 5432) => ({
  IpProtocol: "tcp",
  FromPort: port,
  ToPort: port,
  UserIdGroupPairs: [{ GroupId: source, Description: "app" }],
});

describe("EC2", () => {
  beforeEach(() => {
    env = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
  });

  it("describes the VPC and tells private subnets by their route to a NAT gateway", async () => {
    const vpcs = await ec2().send(new DescribeVpcsCommand({ VpcIds: [env.vpcId] }));
    expect(vpcs.Vpcs?.[0]?.VpcId).toBe(env.vpcId);
    const subnets = await ec2().send(new DescribeSubnetsCommand({ SubnetIds: env.privateSubnetIds }));
    expect(new Set(subnets.Subnets?.map((s) => s.AvailabilityZone)).size).toBe(3);
    expect(subnets.Subnets?.every((s) => s.MapPublicIpOnLaunch === false)).toBe(true);
    const rt = await ec2().send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: "association.subnet-id", Values: [env.privateSubnetIds[0]] }],
      }),
    );
    const defaultRoute = rt.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === "0.0.0.0/0");
    expect(defaultRoute?.NatGatewayId).toMatch(/^nat-/);
    const pub = await ec2().send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: "association.subnet-id", Values: [env.publicSubnetIds[0]] }],
      }),
    );
    expect(
      pub.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === "0.0.0.0/0")?.GatewayId,
    ).toMatch(/^igw-/);
  });

  it("pages subnets by filter and refuses MaxResults with ids", async () => {
    const first = await ec2().send(
      new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [env.vpcId] }] }),
    );
    expect(first.Subnets).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    await expect(
      ec2().send(new DescribeSubnetsCommand({ SubnetIds: ["subnet-nope"] })),
    ).rejects.toMatchObject({
      name: "InvalidSubnetID.NotFound",
    });
    await expect(
      ec2().send(new DescribeSubnetsCommand({ SubnetIds: env.privateSubnetIds, MaxResults: 5 })),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
  });

  it("creates a security group once per VPC and name, finds it by name and tag across pages", async () => {
    const created = await ec2().send(
      new CreateSecurityGroupCommand({
        GroupName: "my-app-prod-db",
        Description: "ebdb database",
        VpcId: env.vpcId,
        TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "ebdb:app", Value: "my-app" }] }],
      }),
    );
    expect(created.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    await expect(
      ec2().send(
        new CreateSecurityGroupCommand({
          GroupName: "my-app-prod-db",
          Description: "again",
          VpcId: env.vpcId,
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidGroup.Duplicate",
      message: `The security group 'my-app-prod-db' already exists for VPC '${env.vpcId}'`,
    });
    const found: string[] = [];
    for await (const page of paginateDescribeSecurityGroups(
      { client: ec2() },
      { Filters: [{ Name: "vpc-id", Values: [env.vpcId] }] },
    )) {
      found.push(...(page.SecurityGroups ?? []).map((g) => g.GroupName ?? ""));
    }
    expect(found).toContain("my-app-prod-db");
    expect(found.length).toBeGreaterThan(2);
    const byTag = await ec2().send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:ebdb:app", Values: ["my-app"] }] }),
    );
    expect(byTag.SecurityGroups?.map((g) => g.GroupId)).toEqual([created.GroupId]);
  });

  it("authorizes a rule once, revokes it, and refuses to revoke a missing one", async () => {
    const { GroupId } = await ec2().send(
      new CreateSecurityGroupCommand({ GroupName: "db", Description: "db", VpcId: env.vpcId }),
    );
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [ingress(env.instanceSecurityGroupId)],
      }),
    );
    await expect(
      ec2().send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [ingress(env.instanceSecurityGroupId)],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidPermission.Duplicate" });
    const described = await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ""] }));
    expect(described.SecurityGroups?.[0]?.IpPermissions?.[0]).toMatchObject({
      IpProtocol: "tcp",
      FromPort: 5432,
      UserIdGroupPairs: [{ GroupId: env.instanceSecurityGroupId }],
    });
    await ec2().send(
      new RevokeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [ingress(env.instanceSecurityGroupId)],
      }),
    );
    await expect(
      ec2().send(
        new RevokeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [ingress(env.instanceSecurityGroupId)],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidPermission.NotFound" });
  });

  it("refuses to delete a group still attached to a DB instance or referenced by a rule", async () => {
    const world = await rdsWorld(fake);
    const { GroupId: dbSg } = await ec2().send(
      new CreateSecurityGroupCommand({ GroupName: "db", Description: "db", VpcId: world.vpcId }),
    );
    const { GroupId: clientSg } = await ec2().send(
      new CreateSecurityGroupCommand({ GroupName: "client", Description: "c", VpcId: world.vpcId }),
    );
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: dbSg, IpPermissions: [ingress(clientSg ?? "")] }),
    );
    await rdsClient().send(
      new CreateDBInstanceCommand({
        ...instanceRequest(world.subnetGroup),
        VpcSecurityGroupIds: [dbSg ?? ""],
      }),
    );
    await expect(ec2().send(new DeleteSecurityGroupCommand({ GroupId: dbSg }))).rejects.toMatchObject({
      name: "DependencyViolation",
      message: `resource ${dbSg} has a dependent object`,
    });
    await expect(ec2().send(new DeleteSecurityGroupCommand({ GroupId: clientSg }))).rejects.toMatchObject({
      name: "DependencyViolation",
    });
    await expect(
      ec2().send(new DeleteSecurityGroupCommand({ GroupId: env.instanceSecurityGroupId })),
    ).rejects.toMatchObject({
      name: "DependencyViolation",
    });
  });

  it("lists the region's availability zones", async () => {
    const out = await ec2().send(new DescribeAvailabilityZonesCommand({}));
    expect(out.AvailabilityZones?.map((z) => z.ZoneName)).toEqual([
      "us-east-1a",
      "us-east-1b",
      "us-east-1c",
      "us-east-1d",
    ]);
  });
});
