import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { statusLines } from "../../src/cli/commands/status.js";
import type { StatusReport } from "../../src/targets/target.js";
import type { FakeAws } from "../fakes/aws/index.js";
import { captureOutput } from "../fixtures/output.js";
import { desiredOf, up, world } from "../targets/aws/harness.js";

// `status` in text says what its JSON says about storage and alarms (and pending changes), on both
// targets: they share the renderer.

const GiB = 1024 ** 3;

function report(over: Partial<StatusReport>): StatusReport {
  return {
    target: "local",
    identifier: "my-app-prod-db",
    engine: "postgres",
    engineVersion: "16.4",
    nodes: [],
    backups: {
      enabled: false,
      retentionDays: 0,
      archive: null,
      list: [],
      earliestRestorableTime: null,
      latestRestorableTime: null,
    },
    storage: { usedBytes: null, allocatedGiB: null, maxAllocatedGiB: null },
    alarmsInAlarm: [],
    pendingModifications: {},
    notes: [],
    ...over,
  };
}

describe("status as text", () => {
  it("local: the storage used; no alarm line, since the local target has no alarms", () => {
    const text = statusLines(
      report({ storage: { usedBytes: 40 * 1048576, allocatedGiB: null, maxAllocatedGiB: null } }),
    ).join("\n");
    expect(text).toContain("Storage: 40.0 MiB used");
    expect(text).not.toMatch(/Alarm/);
  });

  it("aws: used of allocated with its share, the autoscaling limit, the alarms in ALARM, pending changes", () => {
    const text = statusLines(
      report({
        target: "aws",
        storage: { usedBytes: 5 * GiB, allocatedGiB: 20, maxAllocatedGiB: 100 },
        alarmsInAlarm: ["my-app-prod-db-high-cpu", "my-app-prod-db-low-storage"],
        pendingModifications: { DBInstanceClass: "db.t3.small" },
      }),
    ).join("\n");
    expect(text).toContain("Storage: 5.0 GiB used of 20 GiB (25%), autoscaling up to 100 GiB");
    expect(text).toContain("Alarms in ALARM: my-app-prod-db-high-cpu, my-app-prod-db-low-storage");
    expect(text).toContain("Pending changes: DBInstanceClass → db.t3.small");
    const quiet = statusLines(
      report({ target: "aws", storage: { usedBytes: null, allocatedGiB: 20, maxAllocatedGiB: null } }),
    ).join("\n");
    expect(quiet).toContain("Storage: 20 GiB allocated (use unknown), autoscaling off");
    expect(quiet).toContain("Alarms: none in ALARM");
  });
});

describe("ebdb status --target aws (CLI, against the AWS fake)", () => {
  let fake: FakeAws;
  let dir: string;
  afterEach(() => {
    fake?.uninstall();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints the storage and the alarm in ALARM that --json reports", async () => {
    ({ fake } = world());
    await up(fake, desiredOf());
    fake.clock.advance(30 * 60_000);
    fake.putMetric({
      namespace: "AWS/RDS",
      metricName: "FreeStorageSpace",
      dimensions: { DBInstanceIdentifier: "my-app-prod-db" },
      value: 15 * GiB,
      // The CLI runs on the real clock, so it asks CloudWatch about the last minutes of real time.
      at: new Date(),
    });
    fake.setAlarmState("my-app-prod-db-high-cpu", "ALARM");
    dir = mkdtempSync(join(tmpdir(), "ebdb-status-aws-"));
    writeFileSync(
      join(dir, "config.env"),
      ['APP_NAME="my-app"', 'ENV_NAME="prod"', 'DB_ENGINE_VERSION="16.4"', ""].join("\n"),
    );
    const env = { EBDB_TARGET: "aws", AWS_REGION: "us-east-1" };
    const run = async (...argv: string[]) => {
      const o = captureOutput();
      const code = await main(argv, o, env, dir);
      return { code, out: o.stdout(), err: o.stderr() };
    };
    const json = await run("status", "--json");
    expect(json.code).toBe(0);
    const r = JSON.parse(json.out) as StatusReport;
    expect(r).toMatchObject({
      storage: { usedBytes: 5 * GiB, allocatedGiB: 20, maxAllocatedGiB: 100 },
      alarmsInAlarm: ["my-app-prod-db-high-cpu"],
    });
    const text = await run("status");
    expect(text.code).toBe(0);
    expect(text.out).toContain("Storage: 5.0 GiB used of 20 GiB (25%), autoscaling up to 100 GiB");
    expect(text.out).toContain("Alarms in ALARM: my-app-prod-db-high-cpu");
  });
});
