import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  paginateListSecrets,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws } from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
const sm = () => new SecretsManagerClient({ region: "us-east-1", credentials });
const TOKEN = "0123456789abcdef0123456789abcdef";
const NAME = "my-app/my-app-prod/db-password";
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

describe("Secrets Manager", () => {
  it("creates a secret idempotently by client token, and refuses a second one of the same name", async () => {
    const a = await sm().send(
      new CreateSecretCommand({ Name: NAME, SecretString: '{"password":"x"}', ClientRequestToken: TOKEN }),
    );
    expect(a.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:${NAME}-[A-Za-z0-9]{6}$`),
    );
    const b = await sm().send(
      new CreateSecretCommand({ Name: NAME, SecretString: '{"password":"x"}', ClientRequestToken: TOKEN }),
    );
    expect(b.ARN).toBe(a.ARN);
    await expect(
      sm().send(new CreateSecretCommand({ Name: NAME, SecretString: "{}" })),
    ).rejects.toMatchObject({
      name: "ResourceExistsException",
      message: `The operation failed because the secret ${NAME} already exists.`,
    });
    expect(fake.state.region().secrets.size).toBe(1);
  });

  it("reads by name, full ARN and partial ARN; moves AWSCURRENT on put", async () => {
    const { ARN } = await sm().send(new CreateSecretCommand({ Name: NAME, SecretString: "v1" }));
    await sm().send(new PutSecretValueCommand({ SecretId: NAME, SecretString: "v2" }));
    for (const id of [NAME, ARN ?? "", (ARN ?? "").slice(0, -7)]) {
      const got = await sm().send(new GetSecretValueCommand({ SecretId: id }));
      expect(got.SecretString).toBe("v2");
    }
    const prev = await sm().send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: "AWSPREVIOUS" }));
    expect(prev.SecretString).toBe("v1");
    await expect(sm().send(new GetSecretValueCommand({ SecretId: "nope" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "Secrets Manager can't find the specified secret.",
    });
  });

  it("schedules deletion in a 7-30 day window, blocks the name meanwhile, restores, then deletes for good", async () => {
    await sm().send(new CreateSecretCommand({ Name: NAME, SecretString: "v1" }));
    await expect(
      sm().send(new DeleteSecretCommand({ SecretId: NAME, RecoveryWindowInDays: 3 })),
    ).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    const del = await sm().send(new DeleteSecretCommand({ SecretId: NAME, RecoveryWindowInDays: 7 }));
    expect(del.DeletionDate?.getTime()).toBe(fake.clock.now().getTime() + 7 * 86_400_000);
    const d = await sm().send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(d.DeletedDate).toBeInstanceOf(Date);
    await expect(sm().send(new GetSecretValueCommand({ SecretId: NAME }))).rejects.toMatchObject({
      name: "InvalidRequestException",
    });
    await expect(
      sm().send(new CreateSecretCommand({ Name: NAME, SecretString: "again" })),
    ).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: expect.stringMatching(/already scheduled for deletion/),
    });
    const listed = await sm().send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [NAME] }] }));
    expect(listed.SecretList).toHaveLength(0);
    await sm().send(new RestoreSecretCommand({ SecretId: NAME }));
    expect((await sm().send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString).toBe("v1");
    await sm().send(new DeleteSecretCommand({ SecretId: NAME, RecoveryWindowInDays: 7 }));
    fake.clock.advance(7 * 86_400_000);
    await expect(sm().send(new DescribeSecretCommand({ SecretId: NAME }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("lists with a name prefix filter across pages and tags secrets", async () => {
    for (const n of ["a/1", "a/2", "a/3", "b/1"])
      await sm().send(new CreateSecretCommand({ Name: n, SecretString: "x" }));
    await sm().send(new TagResourceCommand({ SecretId: "a/1", Tags: [{ Key: "ebdb:app", Value: "a" }] }));
    const names: string[] = [];
    for await (const page of paginateListSecrets(
      { client: sm() },
      { Filters: [{ Key: "name", Values: ["a/"] }] },
    )) {
      expect((page.SecretList ?? []).length).toBeLessThanOrEqual(2);
      names.push(...(page.SecretList ?? []).map((s) => s.Name ?? ""));
    }
    expect(names.sort()).toEqual(["a/1", "a/2", "a/3"]);
    const tagged = await sm().send(
      new ListSecretsCommand({ Filters: [{ Key: "tag-key", Values: ["ebdb:app"] }] }),
    );
    expect(tagged.SecretList?.map((s) => s.Name)).toEqual(["a/1"]);
  });

  it("generates passwords without excluded characters", async () => {
    const out = await sm().send(
      new GetRandomPasswordCommand({ PasswordLength: 32, ExcludeCharacters: '/"@ ' }),
    );
    expect(out.RandomPassword).toHaveLength(32);
    expect(out.RandomPassword).not.toMatch(/[/"@ ]/);
  });

  it("never logs secret values in the call log", async () => {
    await sm().send(
      new CreateSecretCommand({ Name: NAME, SecretString: '{"password":"hunter2-very-secret"}' }),
    );
    expect(JSON.stringify(fake.calls)).not.toContain("hunter2");
  });
});
