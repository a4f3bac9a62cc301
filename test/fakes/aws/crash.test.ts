import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeSecurityGroups,
} from "@aws-sdk/client-ec2";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeAws,
  installFakeAws,
  isSimulatedCrash,
  type SeededEnvironment,
  seedDefaultEnvironment,
} from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws | undefined;
afterEach(() => fake?.uninstall());

/** A small idempotent "apply" of three steps, written as production code would: look, then create. */
async function apply(env: SeededEnvironment): Promise<void> {
  const ec2 = new EC2Client({ region: "us-east-1", credentials });
  const sm = new SecretsManagerClient({ region: "us-east-1", credentials });
  for (const name of ["db", "client"]) {
    const found = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: "vpc-id", Values: [env.vpcId] },
          { Name: "group-name", Values: [name] },
        ],
      }),
    );
    if (!found.SecurityGroups?.length) {
      await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: env.vpcId }),
      );
    }
  }
  const exists = await sm.send(new DescribeSecretCommand({ SecretId: "app/db" })).then(
    () => true,
    (e: Error) => (e.name === "ResourceNotFoundException" ? false : Promise.reject(e)),
  );
  if (!exists) {
    await sm.send(
      new CreateSecretCommand({ Name: "app/db", SecretString: "x", ClientRequestToken: "a".repeat(32) }),
    );
  }
}

describe("crash hook", () => {
  it("an apply killed after each of its steps in turn converges on rerun, without duplicates", async () => {
    for (let n = 1; n <= 3; n++) {
      fake?.uninstall();
      fake = installFakeAws();
      const env = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
      fake.faults.crashAfter(n);
      const err = await apply(env).catch((e: unknown) => e);
      expect(isSimulatedCrash(err)).toBe(true);
      expect(fake.countCalls({ mutating: true })).toBe(n);
      fake.faults.reset();
      await apply(env);
      const names: string[] = [];
      for await (const page of paginateDescribeSecurityGroups(
        { client: new EC2Client({ region: "us-east-1", credentials }) },
        { Filters: [{ Name: "vpc-id", Values: [env.vpcId] }] },
      )) {
        names.push(...(page.SecurityGroups ?? []).map((g) => g.GroupName ?? ""));
      }
      expect(names.filter((x) => x === "db" || x === "client").sort()).toEqual(["client", "db"]);
      expect(fake.state.region().secrets.size).toBe(1);
      // A third run changes nothing.
      fake.resetCalls();
      await apply(env);
      expect(fake.countCalls({ mutating: true })).toBe(0);
    }
  });
});
