import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { readerVars } from "../../src/api/autoscale-reader.js";
import { runAutoscaler } from "../../src/api/autoscale-run.js";
import { autoscaleStatus } from "../../src/api/autoscale-status.js";
import { deriveDesired } from "../../src/model/desired.js";
import { RecordingIoHost } from "../../src/io.js";
import { createAwsTarget } from "../../src/targets/aws/index.js";
import type { FakeAws } from "../fakes/aws/index.js";
import { makeConfigWithReplicas } from "../fixtures/config.js";
import { desiredOf, up, world } from "../targets/aws/harness.js";

// Until the AWS runner lands, `autoscale status` on AWS says so in the same shape as the local one,
// and `autoscale run` refuses clearly.
let fake: FakeAws;
let dir = "";
afterEach(() => {
  fake?.uninstall();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function setup() {
  ({ fake } = world());
  await up(fake, desiredOf({ replicas: { enabled: true, count: 1, min: 1, max: 3 } }));
  dir = mkdtempSync(join(tmpdir(), "ebdb-aws-autoscale-"));
  writeFileSync(
    join(dir, "config.env"),
    [
      'APP_NAME="my-app"',
      'ENV_NAME="prod"',
      'DB_ENGINE_VERSION="16.4"',
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      "",
    ].join("\n"),
  );
  const ctx: CommandContext = { cwd: dir, env: {}, io: new RecordingIoHost(true), target: "aws" };
  return { ctx, target: createAwsTarget(ctx, { clock: fake.clock }) };
}

describe("autoscale on the AWS target, before its runner", () => {
  it("status has the local shape: the settings and replicas, the runner not deployed, no reader", async () => {
    const { ctx, target } = await setup();
    const s = await autoscaleStatus(ctx, { target });
    expect(s).toMatchObject({
      target: "aws",
      identifier: "my-app-prod-db",
      enabled: true,
      minCapacity: 1,
      maxCapacity: 3,
      targetCpuPercent: 70,
      current: 1,
      ready: 0,
      desired: 1,
      reader: null,
      runner: { kind: "aws-lambda", state: "not-deployed" },
      metric: { name: "RDSReaderAverageCPUUtilization", points: [] },
      decisions: [],
      activities: [],
    });
    expect(s.replicas).toEqual([
      expect.objectContaining({ name: "my-app-prod-db-replica-1", createdByAutoscaler: false }),
    ]);
    const desired = deriveDesired(makeConfigWithReplicas({ appName: "my-app", envName: "prod" }), "aws");
    expect(await readerVars(ctx, target, desired)).toEqual({});
  });

  it("run refuses with a clear error (exit 2), changing nothing", async () => {
    const { ctx, target } = await setup();
    await expect(runAutoscaler(ctx, { once: true, target })).rejects.toMatchObject({
      code: "NOT_SUPPORTED",
      fault: "user",
      message: expect.stringMatching(/not available on the aws target yet/),
    });
  });
});
