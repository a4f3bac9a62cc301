import {
  GetRoleCommand,
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
beforeEach(() => {
  fake = installFakeAws({ accountId: "111122223333", region: "eu-west-1" });
});
afterEach(() => fake.uninstall());

describe("STS", () => {
  it("names the account", async () => {
    const out = await new STSClient({ region: "eu-west-1", credentials }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(out).toMatchObject({ Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/ebdb-test" });
  });
});

describe("KMS", () => {
  it("resolves alias/aws/rds in each region, by alias, id and ARN; an unknown key is NotFoundException", async () => {
    const kms = new KMSClient({ region: "eu-west-1", credentials });
    const byAlias = await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/rds" }));
    expect(byAlias.KeyMetadata).toMatchObject({ KeyManager: "AWS", Enabled: true });
    const id = byAlias.KeyMetadata?.KeyId ?? "";
    expect((await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.Arn).toBe(
      byAlias.KeyMetadata?.Arn,
    );
    expect(
      (await kms.send(new DescribeKeyCommand({ KeyId: byAlias.KeyMetadata?.Arn }))).KeyMetadata?.KeyId,
    ).toBe(id);
    const other = await new KMSClient({ region: "us-east-2", credentials }).send(
      new DescribeKeyCommand({ KeyId: "alias/aws/rds" }),
    );
    expect(other.KeyMetadata?.KeyId).not.toBe(id);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: "alias/nope" }))).rejects.toMatchObject({
      name: "NotFoundException",
      message: "Alias arn:aws:kms:eu-west-1:111122223333:alias/nope is not found.",
    });
    fake.seed.kmsKey({ alias: "alias/app" });
    const aliases = await kms.send(new ListAliasesCommand({}));
    expect(aliases.Aliases).toHaveLength(2);
  });
});

describe("IAM", () => {
  it("gets the EB instance profile and role; manages an inline policy returned URL-encoded as IAM does", async () => {
    const env = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const iam = new IAMClient({ region: "us-east-1", credentials });
    const profile = await iam.send(
      new GetInstanceProfileCommand({ InstanceProfileName: env.instanceProfileName }),
    );
    expect(profile.InstanceProfile?.Roles?.[0]?.RoleName).toBe(env.roleName);
    await expect(iam.send(new GetRoleCommand({ RoleName: "nope" }))).rejects.toMatchObject({
      name: "NoSuchEntityException",
      message: "The role with name nope cannot be found.",
    });
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:x" }],
    });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: env.roleName, PolicyName: "ebdb-db-secret", PolicyDocument: doc }),
    );
    const got = await iam.send(
      new GetRolePolicyCommand({ RoleName: env.roleName, PolicyName: "ebdb-db-secret" }),
    );
    expect(decodeURIComponent(got.PolicyDocument ?? "")).toBe(doc);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: env.roleName }))).PolicyNames).toEqual([
      "ebdb-db-secret",
    ]);
    await expect(
      iam.send(
        new PutRolePolicyCommand({ RoleName: env.roleName, PolicyName: "bad", PolicyDocument: "{not json" }),
      ),
    ).rejects.toMatchObject({
      name: "MalformedPolicyDocumentException",
    });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: env.roleName, PolicyName: "ebdb-db-secret" }));
    await expect(
      iam.send(new GetRolePolicyCommand({ RoleName: env.roleName, PolicyName: "ebdb-db-secret" })),
    ).rejects.toMatchObject({
      name: "NoSuchEntityException",
    });
  });
});
