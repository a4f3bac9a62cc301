import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import {
  DescribeConfigurationSettingsCommand,
  DescribeEventsCommand,
  ElasticBeanstalkClient,
  UpdateEnvironmentCommand,
} from "@aws-sdk/client-elastic-beanstalk";
import { DeleteDBInstanceCommand, ModifyDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { appDatabases } from "./eb-app-db.js";
import { coupledOptions, NS_RDS } from "./eb-coupled.js";
import { addCoupledDatabase, settle } from "./eb-coupled-seed.js";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "./index.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const PASSWORD = "coupled-Pa55word";

async function coupled(policy?: "Delete" | "Snapshot" | "Retain") {
  fake = installFakeAws();
  const seeded = seedDefaultEnvironment(fake, { app: "shop", env: "shop-prod", dbSubnets: true });
  const id = await addCoupledDatabase(fake, {
    app: "shop",
    env: "shop-prod",
    engineVersion: "16.4",
    password: PASSWORD,
    deletionPolicy: policy,
  });
  const env = [...fake.state.region().eb.environments.values()].find((e) => e.name === "shop-prod")!;
  return { seeded, id, env, r: fake.state.region() };
}

const eb = () => new ElasticBeanstalkClient({ region: "us-east-1" });
const rdsOption = (OptionName: string, Value: string) => ({ Namespace: NS_RDS, OptionName, Value });

async function update(settings: { OptionName: string; Value: string }[]) {
  await eb().send(
    new UpdateEnvironmentCommand({
      EnvironmentName: "shop-prod",
      OptionSettings: settings.map((s) => ({ Namespace: NS_RDS, ...s })),
    }),
  );
  await settle(fake, "us-east-1", "shop-prod");
}

async function errors(): Promise<string[]> {
  const r = await eb().send(new DescribeEventsCommand({ EnvironmentName: "shop-prod", Severity: "ERROR" }));
  return (r.Events ?? []).map((e) => e.Message ?? "");
}

describe("EB coupled database (aws:rds:dbinstance, the awseb stack)", () => {
  it("adding one makes the instance, its groups and the stack's resources; the application gets RDS_* from EB", async () => {
    const { id, env, r, seeded } = await coupled();
    expect(id).toMatch(new RegExp(`^awseb-${env.id}-stack-awsebrdsdatabase-[a-z0-9]{12}$`));
    const inst = r.rds.instances.get(id)!;
    expect(inst).toMatchObject({
      status: "available",
      engine: "postgres",
      storageType: "gp2",
      allocatedStorage: 20,
      storageEncrypted: false,
      multiAz: false,
      backupRetention: 1,
      deletionProtection: false,
      dbName: "ebdb",
      masterUsername: "ebroot",
      parameterGroupName: "default.postgres16",
    });
    const sg = r.ec2.securityGroups.get(inst.vpcSecurityGroupIds[0])!;
    expect(sg.GroupName).toMatch(/-AWSEBRDSDBSecurityGroup-/);
    expect(sg.ingress).toEqual([
      expect.objectContaining({
        protocol: "tcp",
        fromPort: 5432,
        sourceGroupId: seeded.instanceSecurityGroupId,
      }),
    ]);
    expect(r.rds.subnetGroups.get(inst.subnetGroupName)!.subnetIds.sort()).toEqual(
      [...seeded.privateSubnetIds].sort(),
    );

    const cfn = new CloudFormationClient({ region: "us-east-1" });
    const res = await cfn.send(
      new DescribeStackResourceCommand({
        StackName: `awseb-${env.id}-stack`,
        LogicalResourceId: "AWSEBRDSDatabase",
      }),
    );
    expect(res.StackResourceDetail).toMatchObject({
      PhysicalResourceId: id,
      ResourceType: "AWS::RDS::DBInstance",
    });
    const all = await cfn.send(new DescribeStackResourcesCommand({ PhysicalResourceId: id }));
    expect(all.StackResources?.map((x) => x.LogicalResourceId).sort()).toEqual([
      "AWSEBAutoScalingGroup",
      "AWSEBLoadBalancer",
      "AWSEBRDSDBSecurityGroup",
      "AWSEBRDSDBSubnetGroup",
      "AWSEBRDSDatabase",
      "AWSEBSecurityGroup",
    ]);
    await expect(
      cfn.send(new DescribeStacksCommand({ StackName: "awseb-e-nothere-stack" })),
    ).rejects.toMatchObject({
      name: "ValidationError",
      message: "Stack with id awseb-e-nothere-stack does not exist",
    });

    // RDS_* come from EB, not from the environment's properties.
    const app = fake.appEnvironment("shop-prod").variables;
    expect(app.RDS_PASSWORD).toBe(PASSWORD);
    expect(app.RDS_USERNAME).toBe("ebroot");
    const cfg = await eb().send(
      new DescribeConfigurationSettingsCommand({ ApplicationName: "shop", EnvironmentName: "shop-prod" }),
    );
    const opts = cfg.ConfigurationSettings?.[0]?.OptionSettings ?? [];
    expect(opts.some((o) => o.OptionName === "RDS_HOSTNAME")).toBe(false);
    expect(opts.find((o) => o.Namespace === NS_RDS && o.OptionName === "HasCoupledDatabase")?.Value).toBe(
      "true",
    );
    expect(appDatabases(fake, "shop-prod")).toEqual({ RDS: { instance: id, problems: [] } });
    // The password option never reaches the call log.
    expect(JSON.stringify(fake.calls)).not.toContain(PASSWORD);
  });

  it("decoupling with Delete while deletion protection is on fails and rolls back; the instance stays", async () => {
    const { id, r } = await coupled();
    await new RDSClient({ region: "us-east-1" }).send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DeletionProtection: true,
        ApplyImmediately: true,
      }),
    );
    await update([{ OptionName: "HasCoupledDatabase", Value: "false" }]);
    expect(await errors()).toEqual(
      expect.arrayContaining([
        `Deleting RDS database named: ${id} failed Reason: Cannot delete protected DB Instance, please disable deletion protection and try again.`,
        "Failed to deploy configuration.",
      ]),
    );
    const env = [...r.eb.environments.values()][0];
    expect(coupledOptions(env).HasCoupledDatabase).toBe("true");
    expect(r.rds.instances.get(id)?.status).toBe("available");
    expect(appDatabases(fake, "shop-prod").RDS.instance).toBe(id);
  });

  it("decoupling with Delete deletes the instance (what the roadmap's users lost data to)", async () => {
    const { id, r } = await coupled("Delete");
    await update([{ OptionName: "HasCoupledDatabase", Value: "false" }]);
    fake.clock.advance(10 * 60_000);
    expect(r.rds.instances.has(id)).toBe(false);
  });

  it("decoupling with Retain keeps the instance and its groups outside the stack; RDS_* are no longer given", async () => {
    const { id, env, r } = await coupled();
    const inst = r.rds.instances.get(id)!;
    await update([
      { OptionName: "DBDeletionPolicy", Value: "Retain" },
      { OptionName: "HasCoupledDatabase", Value: "false" },
    ]);
    expect(await errors()).toEqual([]);
    expect(r.rds.instances.get(id)?.status).toBe("available");
    expect(r.rds.subnetGroups.has(inst.subnetGroupName)).toBe(true);
    expect(r.ec2.securityGroups.has(inst.vpcSecurityGroupIds[0])).toBe(true);
    const stack = r.cloudformation.stacks.get(`awseb-${env.id}-stack`)!;
    expect(stack.resources.map((x) => x.logicalId)).not.toContain("AWSEBRDSDatabase");
    expect(fake.appEnvironment("shop-prod").variables.RDS_HOSTNAME).toBeUndefined();
  });

  it("while coupled: an instance deleted outside EB makes every update fail (roadmap #303), and EB refuses what it cannot do", async () => {
    const { id, r } = await coupled();
    const rds = new RDSClient({ region: "us-east-1" });
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, AllocatedStorage: 30, ApplyImmediately: true }),
    );
    fake.clock.advance(70 * 60_000);
    await expect(
      eb().send(
        new UpdateEnvironmentCommand({
          EnvironmentName: "shop-prod",
          OptionSettings: [rdsOption("DBInstanceClass", "db.t3.small")],
        }),
      ),
    ).rejects.toThrow("DB Allocated storage should be more than the previous value.");
    await expect(
      eb().send(
        new UpdateEnvironmentCommand({
          EnvironmentName: "shop-prod",
          OptionSettings: [rdsOption("DBEngine", "mysql"), rdsOption("DBAllocatedStorage", "30")],
        }),
      ),
    ).rejects.toThrow("RDS DB Engine option setting is not allowed to changed.");

    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
    fake.clock.advance(10 * 60_000);
    expect(r.rds.instances.has(id)).toBe(false);
    for (const value of ["Retain", "Snapshot"]) {
      await update([
        { OptionName: "DBAllocatedStorage", Value: "30" },
        { OptionName: "DBDeletionPolicy", Value: value },
      ]);
      expect((await errors()).slice(0, 2)).toContain(
        `Updating RDS database named: ${id} failed Reason: DBInstance ${id} not found.`,
      );
    }
    await expect(update([{ OptionName: "DBDeletionPolicy", Value: "Keep" }])).rejects.toThrow(
      "Value is not one of the allowed values: [Delete, Snapshot, Retain]",
    );
  });
});
