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

// `autoscale status|run` on AWS: the runner `up` deployed (a Lambda function run each minute), read
// and run through the api as the CLI does, with a config.env.
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

describe("autoscale on the AWS target", () => {
  it("status shows the deployed runner, the reader record and the first run's decision", async () => {
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
      reader: { host: "reader.my-app-prod-db.ebdb.internal", port: 5432, members: [] },
      runner: { kind: "aws-lambda", state: "running", intervalSeconds: 60 },
      metric: { name: "RDSReaderAverageCPUUtilization", points: [] },
    });
    // `up` ran it once: the replica it made is settling, so the record holds none yet.
    expect(s.replicas).toEqual([
      expect.objectContaining({
        name: "my-app-prod-db-replica-1",
        createdByAutoscaler: false,
        why: expect.stringMatching(/settling/),
      }),
    ]);
    expect(s.decisions).toHaveLength(1);
    expect(s.reader?.fallback).toMatch(/^my-app-prod-db\./);
    const desired = deriveDesired(makeConfigWithReplicas({ appName: "my-app", envName: "prod" }), "aws");
    expect(await readerVars(ctx, target, desired)).toEqual({
      DB_READER_HOST: "reader.my-app-prod-db.ebdb.internal",
      DB_READER_PORT: "5432",
    });
  });

  it("run --once runs the deployed controller's step from here", async () => {
    const { ctx, target } = await setup();
    fake.clock.advance(5 * 60_000);
    const events: string[] = [];
    await runAutoscaler(ctx, { once: true, target, onEvent: (e) => events.push(`${e.kind}: ${e.message}`) });
    expect(events[0]).toMatch(/^started: Running the controller of ebdb-my-app-prod-db-autoscaler/);
    expect(events.some((e) => /^reader: Reader record: \+ my-app-prod-db-replica-1/.test(e))).toBe(true);
    expect(events.at(-1)).toBe("stopped: Stopped.");
  });
});
