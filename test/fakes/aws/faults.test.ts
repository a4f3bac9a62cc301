import {
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, isSimulatedCrash, RDS_TIMES, SimulatedCrash } from "./index.js";
import { credentials, instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

const sts = (maxAttempts?: number) => new STSClient({ region: "us-east-1", credentials, maxAttempts });

describe("faults", () => {
  it("throttles with each service's real error name; the SDK retry is emulated up to maxAttempts", async () => {
    fake.faults.throttle({ command: "GetCallerIdentity", times: 2 });
    const out = await sts(3).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("123456789012");
    expect(fake.calls.filter((c) => c.error === "Throttling")).toHaveLength(2);

    fake.faults.throttle({ service: "sts", times: 5 });
    await expect(sts(2).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: "Throttling",
      $metadata: { httpStatusCode: 400, attempts: 2 },
    });

    fake.faults.reset();
    fake.faults.throttle({ service: "secretsmanager" });
    const sm = new SecretsManagerClient({ region: "us-east-1", credentials, maxAttempts: 1 });
    await expect(sm.send(new DescribeSecretCommand({ SecretId: "x" }))).rejects.toMatchObject({
      name: "ThrottlingException",
    });
  });

  it("injects InvalidDBInstanceState on the next modify only", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    fake.faults.invalidDBInstanceState();
    const modify = () =>
      rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db", DeletionProtection: true }),
      );
    await expect(modify()).rejects.toMatchObject({ name: "InvalidDBInstanceStateFault" });
    await expect(modify()).resolves.toBeDefined();
  });

  it("hides a new resource from Describe for K calls (eventual consistency)", async () => {
    const env = await rdsWorld(fake);
    fake.faults.hideAfterCreate({ calls: 2, kinds: ["DBInstance"] });
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    const describe = () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    await expect(describe()).rejects.toMatchObject({ name: "DBInstanceNotFoundFault" });
    await expect(describe()).rejects.toMatchObject({ name: "DBInstanceNotFoundFault" });
    await expect(describe()).resolves.toMatchObject({
      DBInstances: [{ DBInstanceIdentifier: "my-app-prod-db" }],
    });
    // Creating it again is still refused: it exists, it is only not visible yet.
    fake.faults.hideAfterCreate({ ms: 5_000 });
    const sm = new SecretsManagerClient({ region: "us-east-1", credentials });
    await sm.send(new CreateSecretCommand({ Name: "s", SecretString: "x" }));
    await expect(sm.send(new DescribeSecretCommand({ SecretId: "s" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(sm.send(new CreateSecretCommand({ Name: "s", SecretString: "y" }))).rejects.toMatchObject({
      name: "ResourceExistsException",
    });
    fake.clock.advance(5_000);
    await expect(sm.send(new DescribeSecretCommand({ SecretId: "s" }))).resolves.toMatchObject({ Name: "s" });
  });

  it("crashes after the n-th mutating call took effect, and fails every call until reset", async () => {
    const sm = new SecretsManagerClient({ region: "us-east-1", credentials });
    fake.faults.crashAfter(2);
    await sm.send(new CreateSecretCommand({ Name: "one", SecretString: "x" }));
    await sm.send(new DescribeSecretCommand({ SecretId: "one" }));
    const err = await sm.send(new CreateSecretCommand({ Name: "two", SecretString: "x" })).catch((e) => e);
    expect(err).toBeInstanceOf(SimulatedCrash);
    expect(isSimulatedCrash(new Error("wrapped", { cause: err }))).toBe(true);
    expect(fake.state.region().secrets.has("two")).toBe(true);
    expect(fake.faults.crashed).toBe(true);
    await expect(sm.send(new DescribeSecretCommand({ SecretId: "one" }))).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    fake.faults.reset();
    await expect(sm.send(new DescribeSecretCommand({ SecretId: "two" }))).resolves.toMatchObject({
      Name: "two",
    });
  });

  it("classifies and counts mutating calls", async () => {
    const rds = new RDSClient({ region: "us-east-1", credentials });
    await rds.send(new DescribeDBInstancesCommand({}));
    await expect(rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: "x" }))).rejects.toBeDefined();
    expect(fake.countCalls({ mutating: false })).toBe(1);
    expect(fake.countCalls({ mutating: true })).toBe(1);
    expect(fake.countCalls({ service: "rds", command: "DescribeDBInstances" })).toBe(1);
    expect(fake.isMutating("rds", "CreateDBInstanceCommand")).toBe(true);
    expect(fake.isMutating("elasticbeanstalk", "DescribeConfigurationSettings")).toBe(false);
  });

  it("redacts the master password in the call log", async () => {
    const env = await rdsWorld(fake);
    await rdsClient().send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    const call = fake.calls.find((c) => c.command === "CreateDBInstance");
    expect(call?.input.MasterUserPassword).toBe("***");
    expect(JSON.stringify(fake.calls)).not.toContain("Sup3rSecret-pass");
  });
});
