import { NS, optionKey } from "./eb-model.js";
import { loadAppEnvironment } from "./eb-resolve.js";
import { createKey } from "./kms.js";
import type { EbEnvironment, KmsKey, SecurityGroup, Subnet } from "./state.js";
import type { World } from "./world.js";

export interface SeededVpc {
  vpcId: string;
  privateSubnetIds: string[];
  publicSubnetIds: string[];
  defaultSecurityGroupId: string;
}

/** Platform versions released from 26 March 2025 support environment secrets. */
export const MODERN_PLATFORM_RELEASE = "2025-04-15T00:00:00Z";
export const LEGACY_PLATFORM_RELEASE = "2025-02-18T00:00:00Z";

/** Writes resources straight into the fake's state, as if they had been made outside ebdb. */
export class Seeder {
  constructor(private readonly w: World) {}

  /**
   * A VPC with one public subnet (route to an internet gateway, public IPs on launch) and one private
   * subnet (route to a NAT gateway) in each of `azs` AZs, and its default security group.
   */
  vpc(
    opts: { region?: string; azs?: number; cidr?: string; name?: string; isDefault?: boolean } = {},
  ): SeededVpc {
    const w = this.w;
    const region = opts.region ?? w.defaultRegion;
    const r = w.region(region);
    const vpcId = `vpc-${w.hex(17)}`;
    const second = r.ec2.vpcs.size + 10;
    const cidr = opts.cidr ?? `10.${second}.0.0/16`;
    const base = cidr.split(".").slice(0, 2).join(".");
    r.ec2.vpcs.set(vpcId, {
      VpcId: vpcId,
      CidrBlock: cidr,
      IsDefault: opts.isDefault ?? false,
      Tags: opts.name ? [{ Key: "Name", Value: opts.name }] : [],
    });
    const igw = `igw-${w.hex(17)}`;
    const nat = `nat-${w.hex(17)}`;
    const publicRt = `rtb-${w.hex(17)}`;
    const privateRt = `rtb-${w.hex(17)}`;
    const publicSubnetIds: string[] = [];
    const privateSubnetIds: string[] = [];
    const letters = "abcdef";
    for (let i = 0; i < (opts.azs ?? 3); i++) {
      const az = `${region}${letters[i]}`;
      const mk = (kind: "public" | "private", octet: number): Subnet => ({
        SubnetId: `subnet-${w.hex(17)}`,
        VpcId: vpcId,
        AvailabilityZone: az,
        CidrBlock: `${base}.${octet}.0/24`,
        MapPublicIpOnLaunch: kind === "public",
        Tags: [{ Key: "Name", Value: `${opts.name ?? "eb"}-${kind}-${az}` }],
      });
      const pub = mk("public", i);
      const priv = mk("private", 100 + i);
      r.ec2.subnets.set(pub.SubnetId, pub);
      r.ec2.subnets.set(priv.SubnetId, priv);
      publicSubnetIds.push(pub.SubnetId);
      privateSubnetIds.push(priv.SubnetId);
    }
    r.ec2.routeTables.set(publicRt, {
      RouteTableId: publicRt,
      VpcId: vpcId,
      main: false,
      subnetIds: publicSubnetIds,
      defaultRoute: igw,
    });
    // The main table routes through the NAT: subnets without an explicit association are private.
    r.ec2.routeTables.set(privateRt, {
      RouteTableId: privateRt,
      VpcId: vpcId,
      main: true,
      subnetIds: privateSubnetIds,
      defaultRoute: nat,
    });
    const def = this.securityGroup({
      region,
      vpcId,
      name: "default",
      description: "default VPC security group",
    });
    return { vpcId, privateSubnetIds, publicSubnetIds, defaultSecurityGroupId: def.GroupId };
  }

  securityGroup(opts: {
    region?: string;
    vpcId: string;
    name: string;
    description?: string;
    tags?: Record<string, string>;
  }): SecurityGroup {
    const w = this.w;
    const sg: SecurityGroup = {
      GroupId: `sg-${w.hex(17)}`,
      GroupName: opts.name,
      Description: opts.description ?? opts.name,
      VpcId: opts.vpcId,
      ingress: [],
      egress: [
        {
          ruleId: `sgr-${w.hex(17)}`,
          protocol: "-1",
          fromPort: undefined,
          toPort: undefined,
          sourceGroupId: undefined,
          cidr: "0.0.0.0/0",
          description: undefined,
        },
      ],
      Tags: Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    };
    w.region(opts.region ?? w.defaultRegion).ec2.securityGroups.set(sg.GroupId, sg);
    return sg;
  }

  /** An IAM role trusted by EC2, with an instance profile of the same name. */
  instanceRole(name: string): { roleName: string; roleArn: string; instanceProfileName: string } {
    const w = this.w;
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const roleArn = `arn:aws:iam::${w.accountId}:role/${name}`;
    w.iam.roles.set(name, {
      name,
      arn: roleArn,
      roleId: `AROA${w.chars(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
      assumeRolePolicy: trust,
      policies: new Map(),
      createdAt: w.now(),
      tags: [],
    });
    w.iam.instanceProfiles.set(name, {
      name,
      arn: `arn:aws:iam::${w.accountId}:instance-profile/${name}`,
      id: `AIPA${w.chars(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
      roles: [name],
      createdAt: w.now(),
    });
    return { roleName: name, roleArn, instanceProfileName: name };
  }

  /** An EB platform version released on `released`; returns its ARN. */
  platform(
    opts: { region?: string; released?: string | Date; version?: string; branch?: string } = {},
  ): string {
    const w = this.w;
    const region = opts.region ?? w.defaultRegion;
    const released = new Date(opts.released ?? MODERN_PLATFORM_RELEASE).getTime();
    const version = opts.version ?? (released >= Date.parse("2025-03-26T00:00:00Z") ? "6.5.2" : "6.4.3");
    const branch = opts.branch ?? "Node.js 20";
    const name = `${branch} running on 64bit Amazon Linux 2023`;
    const arn = `arn:aws:elasticbeanstalk:${region}::platform/${name}/${version}`;
    w.region(region).eb.platforms.set(arn, {
      arn,
      name,
      version,
      branch,
      createdAt: released,
      lifecycle: undefined,
    });
    return arn;
  }

  /** A customer-managed KMS key (optionally under an alias) in `region`. */
  kmsKey(opts: { region?: string; alias?: string; description?: string } = {}): KmsKey {
    return createKey(this.w, opts.region ?? this.w.defaultRegion, {
      alias: opts.alias,
      description: opts.description,
      manager: opts.alias?.startsWith("alias/aws/") ? "AWS" : "CUSTOMER",
    });
  }

  /** An EB application and a Ready environment with the given option settings. */
  ebEnvironment(opts: {
    region?: string;
    app: string;
    env: string;
    platformArn: string;
    managedSecurityGroupId: string;
    options: Record<string, Record<string, string>>;
    instances?: number;
  }): EbEnvironment {
    const w = this.w;
    const r = w.region(opts.region ?? w.defaultRegion);
    r.eb.applications.add(opts.app);
    const id = `e-${w.chars(10, "abcdefghijklmnopqrstuvwxyz0123456789")}`;
    const env: EbEnvironment = {
      id,
      name: opts.env,
      application: opts.app,
      platformArn: opts.platformArn,
      status: "Ready",
      health: "Green",
      cname: `${opts.env}.${w.chars(8, "abcdefghijklmnopqrstuvwxyz0123456789")}.${r.name}.elasticbeanstalk.com`,
      createdAt: w.now(),
      updatedAt: w.now(),
      options: new Map(),
      managedSecurityGroupId: opts.managedSecurityGroupId,
      instanceIds: Array.from({ length: opts.instances ?? 2 }, () => `i-${w.hex(17)}`),
      events: [{ at: w.now(), message: "createEnvironment completed successfully.", severity: "INFO" }],
      epoch: 0,
      app: { variables: {}, loadedAt: w.now(), errors: [] },
    };
    for (const [ns, values] of Object.entries(opts.options)) {
      for (const [name, value] of Object.entries(values)) env.options.set(optionKey(ns, name), value);
    }
    // The instances' first deployment.
    loadAppEnvironment(w, env);
    r.eb.environments.set(id, env);
    return env;
  }
}

export interface SeededEnvironment extends SeededVpc {
  region: string;
  applicationName: string;
  environmentName: string;
  environmentId: string;
  platformArn: string;
  /** The EB-managed security group of the environment's instances. */
  instanceSecurityGroupId: string;
  loadBalancerSecurityGroupId: string;
  instanceProfileName: string;
  roleName: string;
  roleArn: string;
}

/**
 * A ready-made Elastic Beanstalk world for AWS-target tests: a VPC with private and public subnets in
 * three AZs, the environment's load balancer and instance security groups, the instance profile role,
 * and a platform version (released 2025-04-15, so environment secrets work, unless
 * `legacyPlatform`). With `dbSubnets`, the environment names the private subnets as aws:ec2:vpc DBSubnets.
 */
export function seedDefaultEnvironment(
  fake: { seed: Seeder; region: string },
  opts: {
    app: string;
    env: string;
    region?: string;
    legacyPlatform?: boolean;
    platformReleased?: string;
    dbSubnets?: boolean;
    azs?: number;
  },
): SeededEnvironment {
  const region = opts.region ?? fake.region;
  const s = fake.seed;
  const vpc = s.vpc({ region, azs: opts.azs ?? 3, name: opts.env });
  const suffix = opts.env
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "")
    .slice(0, 12);
  const lb = s.securityGroup({
    region,
    vpcId: vpc.vpcId,
    name: `awseb-${opts.env}-AWSEBLoadBalancerSecurityGroup-${suffix}`,
    description:
      "Elastic Beanstalk created security group used when no ELB security groups are specified during ELB creation",
  });
  const inst = s.securityGroup({
    region,
    vpcId: vpc.vpcId,
    name: `awseb-${opts.env}-stack-AWSEBSecurityGroup-${suffix}`,
    description: "VPC Security Group",
    tags: { "elasticbeanstalk:environment-name": opts.env },
  });
  inst.ingress.push({
    ruleId: "sgr-0000000000000001a",
    protocol: "tcp",
    fromPort: 80,
    toPort: 80,
    sourceGroupId: lb.GroupId,
    cidr: undefined,
    description: undefined,
  });
  const role = s.instanceRole("aws-elasticbeanstalk-ec2-role");
  const platformArn = s.platform({
    region,
    released:
      opts.platformReleased ?? (opts.legacyPlatform ? LEGACY_PLATFORM_RELEASE : MODERN_PLATFORM_RELEASE),
  });
  const vpcOptions: Record<string, string> = {
    VPCId: vpc.vpcId,
    Subnets: vpc.privateSubnetIds.join(","),
    ELBSubnets: vpc.publicSubnetIds.join(","),
    AssociatePublicIpAddress: "false",
  };
  if (opts.dbSubnets) vpcOptions.DBSubnets = vpc.privateSubnetIds.join(",");
  const env = s.ebEnvironment({
    region,
    app: opts.app,
    env: opts.env,
    platformArn,
    managedSecurityGroupId: inst.GroupId,
    options: {
      [NS.vpc]: vpcOptions,
      [NS.launch]: {
        SecurityGroups: inst.GroupId,
        IamInstanceProfile: role.instanceProfileName,
        InstanceType: "t3.small",
      },
      [NS.env]: { NODE_ENV: "production" },
      "aws:elasticbeanstalk:environment": {
        EnvironmentType: "LoadBalanced",
        LoadBalancerType: "application",
      },
      "aws:autoscaling:asg": { MinSize: "1", MaxSize: "4" },
    },
  });
  return {
    ...vpc,
    region,
    applicationName: opts.app,
    environmentName: opts.env,
    environmentId: env.id,
    platformArn,
    instanceSecurityGroupId: inst.GroupId,
    loadBalancerSecurityGroupId: lb.GroupId,
    instanceProfileName: role.instanceProfileName,
    roleName: role.roleName,
    roleArn: role.roleArn,
  };
}
