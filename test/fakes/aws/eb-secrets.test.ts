import {
  ElasticBeanstalkClient,
  paginateDescribeEvents,
  RestartAppServerCommand,
  UpdateEnvironmentCommand,
} from "@aws-sdk/client-elastic-beanstalk";
import { PutRolePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EB_NAMESPACES, EB_TIMES, type FakeAws, installFakeAws, seedDefaultEnvironment } from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
const eb = () => new ElasticBeanstalkClient({ region: "us-east-1", credentials });
const sm = () => new SecretsManagerClient({ region: "us-east-1", credentials });
const iam = () => new IAMClient({ region: "us-east-1", credentials });

beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

async function secret(name: string, value: string): Promise<string> {
  return (await sm().send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
}

async function allow(roleName: string, resources: string[], effect = "Allow"): Promise<void> {
  await iam().send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: `read-${effect}`,
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: effect, Action: "secretsmanager:GetSecretValue", Resource: resources }],
      }),
    }),
  );
}

async function wire(vars: Record<string, string>, props: Record<string, string> = {}): Promise<void> {
  await eb().send(
    new UpdateEnvironmentCommand({
      EnvironmentName: "my-app-prod",
      OptionSettings: [
        ...Object.entries(vars).map(([OptionName, Value]) => ({
          Namespace: EB_NAMESPACES.secrets,
          OptionName,
          Value,
        })),
        ...Object.entries(props).map(([OptionName, Value]) => ({
          Namespace: EB_NAMESPACES.env,
          OptionName,
          Value,
        })),
      ],
    }),
  );
  fake.clock.advance(EB_TIMES.update);
}

async function events(): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateDescribeEvents({ client: eb() }, { EnvironmentName: "my-app-prod" })) {
    out.push(...(page.Events ?? []).map((e) => `${e.Severity} ${e.Message}`));
  }
  return out;
}

describe("what the application on an EB environment sees", () => {
  it("gets the properties at the instances' first deployment", () => {
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    expect(fake.appEnvironment("my-app-prod")).toMatchObject({
      variables: { NODE_ENV: "production" },
      errors: [],
    });
  });

  it("gets each environment secret's whole current value after the update, JSON and all", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const plain = await secret("app/plain", "s3cret-value");
    const json = await secret("app/json", JSON.stringify({ username: "u", password: "p" }));
    await allow(seeded.roleName, [plain, json]);
    await wire({ DB_PASSWORD: plain, DB_SECRET: json }, { DB_HOST: "db.example" });
    expect(fake.appEnvironment("my-app-prod").variables).toEqual({
      NODE_ENV: "production",
      DB_HOST: "db.example",
      DB_PASSWORD: "s3cret-value",
      // EB has no syntax for one JSON key: the variable holds the secret's whole text.
      DB_SECRET: '{"username":"u","password":"p"}',
    });
  });

  it("keeps the value it loaded when the secret changes, until an app server restart (or update) reloads it", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const arn = await secret("app/password", "first");
    await allow(seeded.roleName, [arn]);
    await wire({ DB_PASSWORD: arn });
    await sm().send(new PutSecretValueCommand({ SecretId: arn, SecretString: "second" }));
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("first");

    await eb().send(new RestartAppServerCommand({ EnvironmentName: "my-app-prod" }));
    // A restart in progress: the environment takes no update, and still serves the old value.
    await expect(
      eb().send(new RestartAppServerCommand({ EnvironmentName: "my-app-prod" })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("first");
    fake.clock.advance(EB_TIMES.restartAppServer);
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("second");
    expect((await events())[0]).toBe("INFO restartAppServer completed successfully.");

    await sm().send(new PutSecretValueCommand({ SecretId: arn, SecretString: "third" }));
    await wire({}, { OTHER: "x" });
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("third");
  });

  it("fails the deployment when the instance role may not read the secret, and keeps the old environment", async () => {
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const arn = await secret("app/password", "pw");
    await wire({ DB_PASSWORD: arn }, { DB_HOST: "h" });
    const seen = fake.appEnvironment("my-app-prod");
    expect(seen.variables).toEqual({ NODE_ENV: "production" });
    expect(seen.errors).toEqual([
      expect.stringMatching(
        /^DB_PASSWORD: AccessDeniedException: role aws-elasticbeanstalk-ec2-role is not authorized/,
      ),
    ]);
    expect((await events()).slice(0, 2)).toEqual(
      expect.arrayContaining([
        "ERROR Failed to deploy configuration.",
        expect.stringMatching(
          /^ERROR Instance deployment failed to get environment secret DB_PASSWORD: AccessDenied/,
        ),
      ]),
    );
  });

  it("evaluates the role's policies: wildcards allow, an explicit deny wins, another secret is not covered", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const a = await secret("app/a", "A");
    const b = await secret("app/b", "B");
    await allow(seeded.roleName, ["arn:aws:secretsmanager:us-east-1:123456789012:secret:app/a-*"]);
    await wire({ A: a });
    expect(fake.appEnvironment("my-app-prod").variables.A).toBe("A");
    await wire({ B: b });
    expect(fake.appEnvironment("my-app-prod").errors).toEqual([expect.stringMatching(/^B: AccessDenied/)]);
    await allow(seeded.roleName, ["*"]);
    await allow(seeded.roleName, [a], "Deny");
    await wire({});
    expect(fake.appEnvironment("my-app-prod").errors).toEqual([expect.stringMatching(/^A: AccessDenied/)]);
  });

  it("cannot fetch a secret scheduled for deletion", async () => {
    const seeded = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const arn = await secret("app/password", "pw");
    await allow(seeded.roleName, [arn]);
    await wire({ DB_PASSWORD: arn });
    await sm().send(new DeleteSecretCommand({ SecretId: arn, RecoveryWindowInDays: 7 }));
    await eb().send(new RestartAppServerCommand({ EnvironmentName: "my-app-prod" }));
    fake.clock.advance(EB_TIMES.restartAppServer);
    const seen = fake.appEnvironment("my-app-prod");
    expect(seen.variables.DB_PASSWORD).toBe("pw");
    expect(seen.errors).toEqual([expect.stringMatching(/marked for deletion/)]);
  });
});
