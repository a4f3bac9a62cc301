import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ElasticBeanstalkClient, UpdateEnvironmentCommand } from "@aws-sdk/client-elastic-beanstalk";
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { expect } from "vitest";
import { planOnline } from "../../../src/api/plan.js";
import type { Change } from "../../../src/model/change.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import { settle } from "../../fakes/aws/eb-coupled-seed.js";
import { EB_NAMESPACES, type FakeAws } from "../../fakes/aws/index.js";
import { ctxIn } from "./coupled-world.js";
import { world } from "./harness.js";

// Databases made by hand (outside EB and ebdb), and what the plan of an adopted one may hold.

export interface ByHand {
  instance: Partial<CreateDBInstanceCommandInput>;
  /** A parameter group of the team's, with these parameters. */
  group?: { family: string; params: Record<string, string> };
  replicas?: { name: string; instanceClass?: string }[];
  /** EB environment properties beside DB_HOST (which names the endpoint). */
  props?: Record<string, string>;
  /** The database's group also admits a bastion's group and an address range. */
  bastion?: boolean;
  /** Encrypted with a customer managed key of this alias (made here). */
  kmsAlias?: string;
}

/** A database made by hand in the EB environment's VPC; the environment's DB_HOST names its endpoint. */
export async function byHand(dir: string, id: string, o: ByHand): Promise<{ fake: FakeAws; cwd: string }> {
  const w = world({ dbSubnets: true });
  try {
    return { fake: w.fake, cwd: await make(w, dir, id, o) };
  } catch (e) {
    w.fake.uninstall();
    throw e;
  }
}

async function make(w: ReturnType<typeof world>, dir: string, id: string, o: ByHand): Promise<string> {
  const fake = w.fake;
  const rds = new RDSClient({ region: "us-east-1" });
  const ec2 = new EC2Client({ region: "us-east-1" });
  await rds.send(
    new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: `${id}-subnets`,
      DBSubnetGroupDescription: "by hand",
      SubnetIds: w.env.privateSubnetIds,
    }),
  );
  const port = o.instance.Port ?? (o.instance.Engine ? 3306 : 5432);
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `${id}-db`, Description: "by hand", VpcId: w.env.vpcId }),
  );
  const bastion = o.bastion
    ? await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: "bastion", Description: "ssh", VpcId: w.env.vpcId }),
      )
    : null;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg.GroupId,
      IpPermissions: [
        {
          IpProtocol: "tcp",
          FromPort: port,
          ToPort: port,
          UserIdGroupPairs: [
            { GroupId: w.env.instanceSecurityGroupId },
            ...(bastion ? [{ GroupId: bastion.GroupId, Description: "bastion" }] : []),
          ],
          ...(bastion ? { IpRanges: [{ CidrIp: "10.0.0.0/16", Description: "office VPN" }] } : {}),
        },
      ],
    }),
  );
  if (o.kmsAlias) {
    const kms = new KMSClient({ region: "us-east-1" });
    const key = await kms.send(new CreateKeyCommand({ Description: "the team's" }));
    await kms.send(new CreateAliasCommand({ AliasName: o.kmsAlias, TargetKeyId: key.KeyMetadata!.KeyId }));
  }
  if (o.group) {
    const name = `${id}-team`;
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: name,
        DBParameterGroupFamily: o.group.family,
        Description: "the team's",
      }),
    );
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: name,
        Parameters: Object.entries(o.group.params).map(([ParameterName, ParameterValue]) => ({
          ParameterName,
          ParameterValue,
          ApplyMethod: "pending-reboot",
        })),
      }),
    );
  }
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: "postgres",
      EngineVersion: "16.4",
      DBInstanceClass: "db.t3.small",
      AllocatedStorage: 20,
      MasterUsername: "owner",
      MasterUserPassword: "Hand-made-pa55",
      BackupRetentionPeriod: 7,
      DBSubnetGroupName: `${id}-subnets`,
      VpcSecurityGroupIds: [sg.GroupId!],
      ...(o.group ? { DBParameterGroupName: `${id}-team` } : {}),
      ...(o.kmsAlias ? { StorageEncrypted: true, KmsKeyId: o.kmsAlias } : {}),
      ...o.instance,
    }),
  );
  fake.clock.advance(30 * 60_000);
  for (const r of o.replicas ?? []) {
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: r.name,
        SourceDBInstanceIdentifier: id,
        DBInstanceClass: r.instanceClass,
      }),
    );
  }
  if (o.replicas) fake.clock.advance(30 * 60_000);
  expect(fake.state.region().rds.instances.get(id)!.status).toBe("available");
  const endpoint = `${id}.${fake.state.region().rds.endpointSuffix}.us-east-1.rds.amazonaws.com`;
  await new ElasticBeanstalkClient({ region: "us-east-1" }).send(
    new UpdateEnvironmentCommand({
      EnvironmentName: "my-app-prod",
      OptionSettings: Object.entries({ DB_HOST: endpoint, ...o.props }).map(([OptionName, Value]) => ({
        Namespace: EB_NAMESPACES.env,
        OptionName,
        Value: Value.replace("HOST", endpoint),
      })),
    }),
  );
  await settle(fake, "us-east-1", "my-app-prod");
  const cwd = join(dir, id);
  await mkdir(cwd, { recursive: true });
  return cwd;
}

export /**
 * What `up` may still do to a database made by hand after adopt: ebdb's own wiring (its secret, the
 * instance role's policy, the EB variables), deletion protection on, the replicas behind the
 * database's security group. Nothing else of the instances, and nothing refused.
 */
function onlyEbdbsWiring(changes: Change[]): Change[] {
  return changes.filter(
    (c) =>
      !(
        c.kind === "secret" ||
        c.kind === "iam-policy" ||
        (c.kind === "eb-environment" && c.field === "properties") ||
        (c.kind === "instance" && c.field === "deletionProtection" && c.to === true) ||
        (c.kind === "replica" && c.field === "securityGroups")
      ),
  );
}

/** The plan `ebdb plan --target aws` shows in `cwd`. */
export async function planIn(fake: FakeAws, cwd: string) {
  return (
    await planOnline(ctxIn(cwd), {
      target: createAwsTarget(ctxIn(cwd), { clock: fake.clock }),
      now: fake.clock.now(),
    })
  ).plan;
}

/** A change in one line: kind, resource, action, field. */
export const brief = (cs: Change[]) => cs.map((c) => `${c.kind} ${c.resource} ${c.action} ${c.field ?? ""}`);
