import { NS, optionKey } from "./eb-model.js";
import { type Ctx, makeCtx } from "./kit.js";
import { rdsGroupHandlers } from "./rds-groups.js";
import { rdsInstanceHandlers } from "./rds-instances.js";
import { RDS_TIMES } from "./rds-model.js";
import type { DbInstance, EbEnvironment, RegionState, Stack, StackResource } from "./state.js";
import type { World } from "./world.js";

/**
 * A database "coupled" to an Elastic Beanstalk environment: made by EB (`eb create --database`, or
 * the console's Database card) through the environment's CloudFormation stack, configured with the
 * aws:rds:dbinstance options, and living and dying with the environment. What EB does, as its
 * Developer Guide describes it ("Adding a database to your Elastic Beanstalk environment", Database
 * lifecycle; "General options for all environments", aws:rds:dbinstance) and as users report it on
 * the EB public roadmap (#145, #147, #303, #305):
 *
 * - Setting HasCoupledDatabase=true on an environment without a database makes, in its stack, a DB
 *   security group admitting the instances' group on the engine's port (AWSEBRDSDBSecurityGroup), a
 *   DB subnet group over aws:ec2:vpc DBSubnets (AWSEBRDSDBSubnetGroup) and the instance
 *   (AWSEBRDSDatabase: `awseb-<env-id>-stack-awsebrdsdatabase-<random>`, database `ebdb`, gp2, not
 *   encrypted, 1 day of backups, the engine's default parameter group, no deletion protection). The
 *   update lasts until the instance is available.
 * - While coupled, the application gets RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME, RDS_USERNAME and
 *   RDS_PASSWORD (the DBPassword option) from EB itself: they are not environment properties (EB's
 *   values win over properties and secrets of the same names).
 * - HasCoupledDatabase=false decouples it, as DBDeletionPolicy says: Retain keeps the instance running
 *   (and the subnet and security groups it uses) outside the stack; Snapshot and Delete make
 *   CloudFormation delete it (after a final snapshot with Snapshot), which RDS refuses while deletion
 *   protection is on: the update then fails and the environment rolls back to its previous options.
 * - An update while coupled fails when the instance no longer exists ("DBInstance ... not found":
 *   the loop of roadmap #303), refuses a DBEngine change and a DBAllocatedStorage below the instance's
 *   (storage grown outside EB makes every later update fail until the option catches up).
 */

export const NS_RDS = "aws:rds:dbinstance";
/** Logical ids of the coupled database's resources in EB's stack. */
export const RDS_LOGICAL = {
  database: "AWSEBRDSDatabase",
  subnetGroup: "AWSEBRDSDBSubnetGroup",
  securityGroup: "AWSEBRDSDBSecurityGroup",
} as const;
export const DELETION_POLICIES = ["Delete", "Snapshot", "Retain"];

const opt = (options: Map<string, string>, name: string) => options.get(optionKey(NS_RDS, name));

export function stackNameOf(env: EbEnvironment): string {
  return `awseb-${env.id}-stack`;
}

/** The region an environment lives in. */
export function regionOf(w: World, env: EbEnvironment): RegionState {
  for (const r of w.regions.values()) if (r.eb.environments.get(env.id) === env) return r;
  return w.region();
}

/** The environment's stack, made on first look with the resources every environment has. */
export function ensureStack(w: World, r: RegionState, env: EbEnvironment): Stack {
  const name = stackNameOf(env);
  let stack = r.cloudformation.stacks.get(name);
  if (stack) return stack;
  const suffix = env.id.slice(2).toUpperCase();
  const res = (logicalId: string, physicalId: string, type: string): StackResource => ({
    logicalId,
    physicalId,
    type,
    status: "CREATE_COMPLETE",
    updatedAt: env.createdAt,
  });
  stack = {
    name,
    id: `arn:aws:cloudformation:${r.name}:${w.accountId}:stack/${name}/${w.uuid()}`,
    status: "CREATE_COMPLETE",
    createdAt: env.createdAt,
    updatedAt: env.createdAt,
    tags: [
      { Key: "elasticbeanstalk:environment-name", Value: env.name },
      { Key: "elasticbeanstalk:environment-id", Value: env.id },
    ],
    resources: [
      res(
        "AWSEBAutoScalingGroup",
        `${name}-AWSEBAutoScalingGroup-${suffix}`,
        "AWS::AutoScaling::AutoScalingGroup",
      ),
      res("AWSEBLoadBalancer", `${name}-awsebloa-1`, "AWS::ElasticLoadBalancingV2::LoadBalancer"),
      res("AWSEBSecurityGroup", env.managedSecurityGroupId, "AWS::EC2::SecurityGroup"),
    ],
  };
  r.cloudformation.stacks.set(name, stack);
  return stack;
}

/** Every live environment of the region has its stack. */
export function ensureEnvStacks(w: World, r: RegionState): void {
  for (const env of r.eb.environments.values()) if (env.status !== "Terminated") ensureStack(w, r, env);
}

/** The physical id of one of the coupled database's resources, when the stack holds it. */
function stackResource(w: World, r: RegionState, env: EbEnvironment, logicalId: string): string | undefined {
  return ensureStack(w, r, env).resources.find((x) => x.logicalId === logicalId)?.physicalId;
}

/** The instance coupled to the environment of region `r` (in its stack and existing), if any. */
export function coupledInstanceIn(r: RegionState, env: EbEnvironment): DbInstance | undefined {
  const id = r.cloudformation.stacks
    .get(stackNameOf(env))
    ?.resources.find((x) => x.logicalId === RDS_LOGICAL.database)?.physicalId;
  return id ? r.rds.instances.get(id) : undefined;
}

export function coupledInstance(w: World, env: EbEnvironment): DbInstance | undefined {
  return coupledInstanceIn(regionOf(w, env), env);
}

/**
 * What EB gives the application of a coupled environment beside its properties: RDS_* for the
 * instance in its stack, once the instance has an endpoint.
 */
export function coupledVariables(w: World, env: EbEnvironment): Record<string, string> {
  if (opt(env.options, "HasCoupledDatabase") !== "true") return {};
  const inst = coupledInstance(w, env);
  if (!inst || inst.status === "creating" || inst.status === "deleting") return {};
  const r = regionOf(w, env);
  return {
    RDS_HOSTNAME: `${inst.id}.${r.rds.endpointSuffix}.${r.name}.rds.amazonaws.com`,
    RDS_PORT: String(inst.port),
    RDS_DB_NAME: inst.dbName ?? "",
    RDS_USERNAME: inst.masterUsername,
    RDS_PASSWORD: opt(env.options, "DBPassword") ?? "",
  };
}

/** What an environment update does to the coupled database once its configuration is accepted. */
export interface CoupledWork {
  /** How long the stack update takes at least (ms). */
  ms: number;
  /** Runs the stack update; returns why it failed (the environment then rolls back), or null. */
  finish(): string | null;
  /** Events to record when the update starts. */
  started: string[];
}

function invalid(ctx: Ctx, message: string): Error {
  return ctx.err("ConfigurationValidationException", `Configuration validation exception: ${message}`);
}

/**
 * Checks an UpdateEnvironment's aws:rds:dbinstance options against EB's rules (`prev` the options
 * before, `next` after) and returns the stack work it starts, or null when it touches no database.
 * Throws EB's validation errors before anything changes.
 */
export function prepareCoupledUpdate(
  ctx: Ctx,
  env: EbEnvironment,
  prev: Map<string, string>,
  next: Map<string, string>,
): CoupledWork | null {
  const policy = opt(next, "DBDeletionPolicy");
  if (policy !== undefined && !DELETION_POLICIES.includes(policy)) {
    throw invalid(
      ctx,
      `Invalid option value: '${policy}' (Namespace: '${NS_RDS}', OptionName: 'DBDeletionPolicy'): Value is not one of the allowed values: [Delete, Snapshot, Retain]`,
    );
  }
  const wants = opt(next, "HasCoupledDatabase");
  if (wants !== undefined && wants !== "true" && wants !== "false") {
    throw invalid(
      ctx,
      `Invalid option value: '${wants}' (Namespace: '${NS_RDS}', OptionName: 'HasCoupledDatabase'): Value is not one of the allowed values: [true, false]`,
    );
  }
  const was = opt(prev, "HasCoupledDatabase") === "true";
  if (was) return coupledChange(ctx, env, prev, next, wants !== "false");
  if (wants === "true") return addDatabase(ctx, env, next);
  return null;
}

function coupledChange(
  ctx: Ctx,
  env: EbEnvironment,
  prev: Map<string, string>,
  next: Map<string, string>,
  staysCoupled: boolean,
): CoupledWork {
  const w = ctx.w;
  const r = ctx.r;
  const dbId = stackResource(w, r, env, RDS_LOGICAL.database) ?? "";
  const inst = r.rds.instances.get(dbId);
  const engine = opt(next, "DBEngine");
  if (engine !== undefined && opt(prev, "DBEngine") !== undefined && engine !== opt(prev, "DBEngine")) {
    throw invalid(ctx, "RDS DB Engine option setting is not allowed to changed.");
  }
  const storage = Number(opt(next, "DBAllocatedStorage"));
  if (inst && Number.isFinite(storage) && storage < inst.allocatedStorage) {
    throw invalid(ctx, "DB Allocated storage should be more than the previous value.");
  }
  return {
    ms: 0,
    started: staysCoupled ? [] : [`Decoupling RDS database named: ${dbId}.`],
    finish: () => {
      const now = r.rds.instances.get(dbId);
      if (!now || now.status === "deleting") {
        return `Updating RDS database named: ${dbId} failed Reason: DBInstance ${dbId} not found.`;
      }
      if (staysCoupled) return null;
      return decouple(ctx, env, now, opt(next, "DBDeletionPolicy") ?? "Delete");
    },
  };
}

/** HasCoupledDatabase=false: the stack lets go of the database as DBDeletionPolicy says. */
function decouple(ctx: Ctx, env: EbEnvironment, inst: DbInstance, policy: string): string | null {
  const stack = ensureStack(ctx.w, ctx.r, env);
  const ours = Object.values(RDS_LOGICAL) as string[];
  const groups = stack.resources.filter(
    (x) => ours.includes(x.logicalId) && x.logicalId !== RDS_LOGICAL.database,
  );
  if (policy !== "Retain") {
    const rds = makeCtx(ctx.w, "rds", ctx.region);
    try {
      rdsInstanceHandlers.DeleteDBInstance.run(
        rds,
        policy === "Snapshot"
          ? { DBInstanceIdentifier: inst.id, FinalDBSnapshotIdentifier: `${inst.id}-final-${ctx.w.hex(8)}` }
          : { DBInstanceIdentifier: inst.id, SkipFinalSnapshot: true },
      );
    } catch (e) {
      return `Deleting RDS database named: ${inst.id} failed Reason: ${(e as Error).message}`;
    }
    // CloudFormation deletes the groups once the instance is gone.
    ctx.w.clock.schedule(ctx.w.now() + RDS_TIMES.delete + 1, () => {
      for (const g of groups) {
        if (g.logicalId === RDS_LOGICAL.subnetGroup) ctx.r.rds.subnetGroups.delete(g.physicalId);
        else ctx.r.ec2.securityGroups.delete(g.physicalId);
      }
    });
  }
  stack.resources = stack.resources.filter((x) => !ours.includes(x.logicalId));
  stack.updatedAt = ctx.w.now();
  env.events.push({
    at: ctx.w.now(),
    severity: "INFO",
    message:
      policy === "Retain"
        ? `Decoupled RDS database named: ${inst.id}. It remains available outside of the environment (deletion policy Retain).`
        : `Decoupled RDS database named: ${inst.id}: deleting it (deletion policy ${policy}).`,
  });
  return null;
}

/** HasCoupledDatabase=true on an environment without one: the stack makes the database and its groups. */
function addDatabase(ctx: Ctx, env: EbEnvironment, next: Map<string, string>): CoupledWork {
  const w = ctx.w;
  const r = ctx.r;
  const password = opt(next, "DBPassword");
  if (!password)
    throw invalid(ctx, `The option DBPassword (Namespace: '${NS_RDS}') is required to add a database.`);
  const subnets = (next.get(optionKey(NS.vpc, "DBSubnets")) ?? "").split(",").filter(Boolean);
  const vpcId = next.get(optionKey(NS.vpc, "VPCId"));
  if (vpcId && subnets.length === 0) {
    throw invalid(ctx, "A database in a VPC needs the option DBSubnets (Namespace: 'aws:ec2:vpc').");
  }
  const engine = opt(next, "DBEngine") ?? "mysql";
  const port = engine === "postgres" ? 5432 : 3306;
  const stack = ensureStack(w, r, env);
  const name = stack.name;
  const rnd = (n: number) => w.chars(n, "abcdefghijklmnopqrstuvwxyz0123456789");
  const sgId = `sg-${w.hex(17)}`;
  const subnetGroup = `${name}-awsebrdsdbsubnetgroup-${rnd(12)}`;
  const dbId = `${name}-awsebrdsdatabase-${rnd(12)}`;
  const tags = [
    { Key: "elasticbeanstalk:environment-name", Value: env.name },
    { Key: "elasticbeanstalk:environment-id", Value: env.id },
    { Key: "aws:cloudformation:stack-name", Value: name },
    { Key: "aws:cloudformation:stack-id", Value: stack.id },
  ];
  const rds = makeCtx(w, "rds", ctx.region);
  try {
    rdsGroupHandlers.CreateDBSubnetGroup.run(rds, {
      DBSubnetGroupName: subnetGroup,
      DBSubnetGroupDescription: "RDS DB Subnet Group",
      SubnetIds: subnets,
      Tags: [...tags, { Key: "aws:cloudformation:logical-id", Value: RDS_LOGICAL.subnetGroup }],
    });
    r.ec2.securityGroups.set(sgId, {
      GroupId: sgId,
      GroupName: `${name}-AWSEBRDSDBSecurityGroup-${rnd(12).toUpperCase()}`,
      Description: "Enable database access to Beanstalk application",
      VpcId: vpcId ?? "",
      ingress: [
        {
          ruleId: `sgr-${w.hex(17)}`,
          protocol: "tcp",
          fromPort: port,
          toPort: port,
          sourceGroupId: env.managedSecurityGroupId,
          cidr: undefined,
          description: undefined,
        },
      ],
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
      Tags: [...tags, { Key: "aws:cloudformation:logical-id", Value: RDS_LOGICAL.securityGroup }],
    });
    rdsInstanceHandlers.CreateDBInstance.run(rds, {
      DBInstanceIdentifier: dbId,
      Engine: engine,
      EngineVersion: opt(next, "DBEngineVersion"),
      DBInstanceClass: opt(next, "DBInstanceClass") ?? "db.t3.micro",
      AllocatedStorage: Number(opt(next, "DBAllocatedStorage") ?? "20"),
      StorageType: "gp2",
      MasterUsername: opt(next, "DBUser") ?? "ebroot",
      MasterUserPassword: password,
      DBName: "ebdb",
      Port: port,
      MultiAZ: opt(next, "MultiAZDatabase") === "true",
      DBSubnetGroupName: subnetGroup,
      VpcSecurityGroupIds: [sgId],
      BackupRetentionPeriod: 1,
      Tags: [...tags, { Key: "aws:cloudformation:logical-id", Value: RDS_LOGICAL.database }],
    });
  } catch (e) {
    r.ec2.securityGroups.delete(sgId);
    r.rds.subnetGroups.delete(subnetGroup);
    throw invalid(ctx, `Creating RDS database failed: ${(e as Error).message}`);
  }
  const at = w.now();
  for (const [logicalId, physicalId, type] of [
    [RDS_LOGICAL.securityGroup, sgId, "AWS::EC2::SecurityGroup"],
    [RDS_LOGICAL.subnetGroup, subnetGroup, "AWS::RDS::DBSubnetGroup"],
    [RDS_LOGICAL.database, dbId, "AWS::RDS::DBInstance"],
  ]) {
    stack.resources.push({ logicalId, physicalId, type, status: "CREATE_COMPLETE", updatedAt: at });
  }
  stack.updatedAt = at;
  return {
    ms: RDS_TIMES.create + RDS_TIMES.initialBackup,
    started: [`Creating RDS database named: ${dbId}. This may take a few minutes.`],
    finish: () => {
      const inst = r.rds.instances.get(dbId);
      if (!inst) return `Creating RDS database named: ${dbId} failed Reason: DBInstance ${dbId} not found.`;
      env.events.push({ at: w.now(), severity: "INFO", message: `Created RDS database named: ${dbId}` });
      return null;
    },
  };
}

/** The coupled database's options as EB shows them (for tests and seeds). */
export function coupledOptions(env: EbEnvironment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of env.options) {
    const [ns, name] = k.split("|");
    if (ns === NS_RDS) out[name] = v;
  }
  return out;
}
