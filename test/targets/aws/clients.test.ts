import { DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { AwsClients } from "../../../src/targets/aws/clients.js";
import { resolveSettings } from "../../../src/targets/aws/index.js";
import { type FakeAws, installFakeAws } from "../../fakes/aws/index.js";
import { commandContext, desiredOf } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

describe("where and as whom ebdb calls AWS", () => {
  const desired = desiredOf({ region: "eu-central-1", profile: "from-config" });
  const ctx = (env: Record<string, string>, aws?: { profile?: string; region?: string }) => ({
    ...commandContext(new RecordingIoHost()),
    env,
    aws,
  });

  it("takes --region and --profile first, then AWS_REGION and AWS_PROFILE, then the configuration", () => {
    expect(resolveSettings(ctx({}), desired)).toEqual({
      region: "eu-central-1",
      profile: "from-config",
      endpoint: null,
    });
    expect(resolveSettings(ctx({ AWS_REGION: "us-west-2", AWS_PROFILE: "env" }), desired)).toMatchObject({
      region: "us-west-2",
      profile: "env",
    });
    expect(resolveSettings(ctx({ AWS_DEFAULT_REGION: "ap-south-1" }), desired).region).toBe("ap-south-1");
    expect(
      resolveSettings(
        ctx({ AWS_REGION: "us-west-2", AWS_PROFILE: "env" }, { region: "sa-east-1", profile: "flag" }),
        desired,
      ),
    ).toMatchObject({
      region: "sa-east-1",
      profile: "flag",
    });
  });

  it("sends every client to AWS_ENDPOINT_URL (LocalStack and other emulators)", async () => {
    const settings = resolveSettings(ctx({ AWS_ENDPOINT_URL: "http://localhost:4566" }), desired);
    expect(settings.endpoint).toBe("http://localhost:4566");
    const aws = new AwsClients(settings, { now: () => new Date(), sleep: async () => {} });
    // biome-ignore lint/suspicious/noExplicitAny: reading the SDK client's resolved configuration.
    const rds = (aws as any).client("rds");
    const endpoint = await rds.config.endpoint();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe("http://localhost:4566");
    expect(await rds.config.region()).toBe("eu-central-1");
    expect(await rds.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
  });
});

describe("calls", () => {
  it("retry throttling on the injected clock when the SDK's own retries are used up", async () => {
    fake = installFakeAws({ sdkRetries: false });
    const slept: number[] = [];
    const aws = new AwsClients(
      { region: "us-east-1", profile: null, endpoint: null },
      {
        now: () => fake.clock.now(),
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
    );
    fake.faults.throttle({ command: "DescribeDBInstances", times: 4 });
    const out = await aws.rds(new DescribeDBInstancesCommand({}));
    expect(out.DBInstances).toEqual([]);
    expect(slept).toHaveLength(4);
    expect(slept[3]).toBeGreaterThan(slept[0]);
  });

  it("name the call in the error, say whose fault it is, and never repeat a known secret", async () => {
    fake = installFakeAws();
    const aws = new AwsClients({ region: "us-east-1", profile: null, endpoint: null }, fake.clock);
    aws.redact("Hunter2-secret-value");
    fake.faults.fail({
      command: "DescribeDBInstances",
      error: "InternalFailureX",
      message: "boom Hunter2-secret-value",
    });
    const e = await aws.rds(new DescribeDBInstancesCommand({})).catch((x) => x);
    expect(e).toMatchObject({
      code: "AWS_CALL_FAILED",
      fault: "system",
      details: { awsCode: "InternalFailureX", call: "RDS.DescribeDBInstances" },
    });
    expect(e.message).toBe("RDS.DescribeDBInstances failed: InternalFailureX: boom ********");
    fake.faults.fail({ command: "DescribeDBInstances", error: "AccessDenied", message: "not allowed" });
    expect(await aws.rds(new DescribeDBInstancesCommand({})).catch((x) => x)).toMatchObject({
      code: "AWS_ACCESS_DENIED",
      fault: "user",
    });
    fake.faults.fail({ command: "DescribeDBInstances", error: "ExpiredToken", message: "expired" });
    const cred = await aws.rds(new DescribeDBInstancesCommand({})).catch((x) => x);
    expect(cred).toMatchObject({ code: "AWS_CREDENTIALS", fault: "user" });
    expect(cred.hint).toMatch(/--profile/);
  });
});
