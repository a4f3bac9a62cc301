import {
  DescribeConfigurationSettingsCommand,
  DescribeEnvironmentsCommand,
  DescribePlatformVersionCommand,
  ElasticBeanstalkClient,
  paginateDescribeEvents,
  UpdateEnvironmentCommand,
} from "@aws-sdk/client-elastic-beanstalk";
import { CreateSecurityGroupCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  EB_NAMESPACES,
  EB_TIMES,
  environmentProperties,
  type FakeAws,
  installFakeAws,
  seedDefaultEnvironment,
} from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
const eb = () => new ElasticBeanstalkClient({ region: "us-east-1", credentials });
const SECRET_ARN =
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/my-app-prod/db-password-AbCdEf";
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

function envState(name = "my-app-prod") {
  const env = [...fake.state.region().eb.environments.values()].find((e) => e.name === name);
  if (!env) throw new Error("no env");
  return env;
}

describe("Elastic Beanstalk", () => {
  it("describes environments; a missing one is an empty list", async () => {
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const found = await eb().send(
      new DescribeEnvironmentsCommand({ ApplicationName: "my-app", EnvironmentNames: ["my-app-prod"] }),
    );
    expect(found.Environments?.[0]).toMatchObject({
      EnvironmentName: "my-app-prod",
      Status: "Ready",
      ApplicationName: "my-app",
    });
    const missing = await eb().send(
      new DescribeEnvironmentsCommand({ ApplicationName: "my-app", EnvironmentNames: ["nope"] }),
    );
    expect(missing.Environments).toEqual([]);
  });

  it("returns the VPC, subnets, security groups and instance profile as option settings", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod", dbSubnets: true });
    const out = await eb().send(
      new DescribeConfigurationSettingsCommand({ ApplicationName: "my-app", EnvironmentName: "my-app-prod" }),
    );
    const opts = out.ConfigurationSettings?.[0]?.OptionSettings ?? [];
    const get = (ns: string, name: string) =>
      opts.find((o) => o.Namespace === ns && o.OptionName === name)?.Value;
    expect(get("aws:ec2:vpc", "VPCId")).toBe(seeded.vpcId);
    expect(get("aws:ec2:vpc", "Subnets")?.split(",")).toEqual(seeded.privateSubnetIds);
    expect(get("aws:ec2:vpc", "DBSubnets")?.split(",")).toEqual(seeded.privateSubnetIds);
    expect(get("aws:autoscaling:launchconfiguration", "SecurityGroups")).toBe(seeded.instanceSecurityGroupId);
    expect(get("aws:autoscaling:launchconfiguration", "IamInstanceProfile")).toBe(seeded.instanceProfileName);
    expect(out.ConfigurationSettings?.[0]?.PlatformArn).toBe(seeded.platformArn);
    await expect(
      eb().send(
        new DescribeConfigurationSettingsCommand({ ApplicationName: "my-app", EnvironmentName: "nope" }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: "No Environment found for EnvironmentName = 'nope'.",
    });
  });

  it("updates properties and secrets: Updating, then Ready; a second update meanwhile is refused", async () => {
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const out = await eb().send(
      new UpdateEnvironmentCommand({
        ApplicationName: "my-app",
        EnvironmentName: "my-app-prod",
        OptionSettings: [
          { Namespace: EB_NAMESPACES.env, OptionName: "DB_HOST", Value: "db.example" },
          { Namespace: EB_NAMESPACES.secrets, OptionName: "DB_PASSWORD", Value: SECRET_ARN },
        ],
      }),
    );
    expect(out.Status).toBe("Updating");
    await expect(
      eb().send(
        new UpdateEnvironmentCommand({
          EnvironmentName: "my-app-prod",
          OptionSettings: [{ Namespace: EB_NAMESPACES.env, OptionName: "X", Value: "1" }],
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: "Environment named my-app-prod is in an invalid state for this operation. Must be Ready.",
    });
    fake.clock.advance(EB_TIMES.update);
    expect(envState().status).toBe("Ready");
    expect(environmentProperties(envState())).toEqual({ NODE_ENV: "production", DB_HOST: "db.example" });
    expect(environmentProperties(envState(), EB_NAMESPACES.secrets)).toEqual({ DB_PASSWORD: SECRET_ARN });
    await eb().send(
      new UpdateEnvironmentCommand({
        EnvironmentName: "my-app-prod",
        OptionsToRemove: [{ Namespace: EB_NAMESPACES.env, OptionName: "DB_HOST" }],
      }),
    );
    expect(environmentProperties(envState())).toEqual({ NODE_ENV: "production" });
  });

  it("refuses environment secrets on a platform released before 26 March 2025", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod", legacyPlatform: true });
    const p = await eb().send(new DescribePlatformVersionCommand({ PlatformArn: seeded.platformArn }));
    expect(p.PlatformDescription?.DateCreated?.toISOString()).toBe("2025-02-18T00:00:00.000Z");
    await expect(
      eb().send(
        new UpdateEnvironmentCommand({
          EnvironmentName: "my-app-prod",
          OptionSettings: [
            { Namespace: EB_NAMESPACES.secrets, OptionName: "DB_PASSWORD", Value: SECRET_ARN },
          ],
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/not supported by this platform version/),
    });
  });

  it("records a rolling replacement of instances when the launch security groups change", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const ec2 = new EC2Client({ region: "us-east-1", credentials });
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: "client", Description: "c", VpcId: seeded.vpcId }),
    );
    const before = [...envState().instanceIds];
    await eb().send(
      new UpdateEnvironmentCommand({
        EnvironmentName: "my-app-prod",
        OptionSettings: [
          {
            Namespace: EB_NAMESPACES.launch,
            OptionName: "SecurityGroups",
            Value: `${seeded.instanceSecurityGroupId},${GroupId}`,
          },
        ],
      }),
    );
    fake.clock.advance(EB_TIMES.update);
    expect(envState().status).toBe("Updating");
    fake.clock.advance(EB_TIMES.rollingReplace - EB_TIMES.update);
    expect(envState().status).toBe("Ready");
    expect(envState().instanceIds).not.toEqual(before);
    const messages: string[] = [];
    for await (const page of paginateDescribeEvents({ client: eb() }, { EnvironmentName: "my-app-prod" })) {
      messages.push(...(page.Events ?? []).map((e) => e.Message ?? ""));
    }
    expect(messages[0]).toBe("Environment update completed successfully.");
    expect(messages.join("\n")).toMatch(/rolling replacement of instances/);
  });

  it("refuses a security group from another VPC", async () => {
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const other = fake.seed.vpc();
    const sg = fake.seed.securityGroup({ vpcId: other.vpcId, name: "elsewhere" });
    await expect(
      eb().send(
        new UpdateEnvironmentCommand({
          EnvironmentName: "my-app-prod",
          OptionSettings: [
            { Namespace: EB_NAMESPACES.launch, OptionName: "SecurityGroups", Value: sg.GroupId },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: "ConfigurationValidationException" });
  });
});
