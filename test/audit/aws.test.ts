import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { audit } from "../../src/api/audit.js";
import type { CommandContext } from "../../src/api/context.js";
import { restore } from "../../src/api/restore.js";
import { auditExitCode, runAudit } from "../../src/audit/practices.js";
import type { PracticeResult } from "../../src/audit/types.js";
import { RecordingIoHost } from "../../src/io.js";
import { createAwsTarget } from "../../src/targets/aws/index.js";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "../fakes/aws/index.js";
import { rdsClient } from "../fakes/aws/test-helpers.js";
import { desiredOf, up } from "../targets/aws/harness.js";

const ID = "my-app-prod-db";
const EMAIL = "ops@example.com";
let fake: FakeAws;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A database `ebdb up` made on the fake from a config.env meaning what desiredOf() means. */
async function made() {
  fake = installFakeAws();
  seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
  await up(fake, desiredOf({ alarmEmail: EMAIL }));
  const dir = mkdtempSync(join(tmpdir(), "ebdb-audit-aws-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    [
      'APP_NAME="my-app"',
      'ENV_NAME="prod"',
      'DB_ENGINE_VERSION="16.4"',
      'DB_INSTANCE_CLASS="db.t3.micro"',
      `DB_ALARM_EMAIL="${EMAIL}"`,
      "",
    ].join("\n"),
  );
  const ctx: CommandContext = { cwd: dir, env: {}, io: new RecordingIoHost(), target: "aws" };
  const target = createAwsTarget(ctx, { clock: fake.clock });
  const run = async (restoreWithinDays?: number) => {
    const r = await audit(ctx, { target, restoreWithinDays });
    return { ...r, byId: (id: string) => r.practices.find((p) => p.id === id) as PracticeResult };
  };
  return { ctx, target, run };
}

describe("ebdb audit on AWS (the fake)", () => {
  it("passes what ebdb makes, fails what is missing with the fix and the command, and skips what it cannot read", async () => {
    const { run } = await made();
    const r = await run();
    expect(r.practices.map((p) => p.id)).toEqual([
      "multi-az",
      "backups",
      "encryption",
      "pooling",
      "alarms",
      "performance-insights",
      "restore-tested",
      "minor-version",
      "parameter-group",
      "migrations",
    ]);
    for (const p of r.practices)
      expect(Object.keys(p).sort()).toEqual([
        "command",
        "fix",
        "id",
        "observed",
        "status",
        "summary",
        "title",
      ]);
    const status = Object.fromEntries(r.practices.map((p) => [p.id, p.status]));
    expect(status).toEqual({
      "multi-az": "pass",
      backups: "pass",
      encryption: "pass",
      pooling: "fail",
      alarms: "pass",
      "performance-insights": "pass",
      "restore-tested": "fail",
      "minor-version": "fail",
      "parameter-group": "pass",
      migrations: "skipped",
    });
    expect(r.byId("encryption").summary).toMatch(
      /^TLS enforced in transit \(rds\.force_ssl=1 in my-app-prod-db-postgres16\); encrypted at rest \(KMS key arn:aws:kms:/,
    );
    expect(r.byId("pooling")).toMatchObject({
      fix: expect.stringContaining("DB_RDS_PROXY_ENABLED=true"),
      command: "ebdb up --target aws",
    });
    expect(r.byId("restore-tested")).toMatchObject({
      summary: "no restore was ever tested with ebdb",
      command: "ebdb restore --latest --target aws",
    });
    expect(r.byId("migrations").summary).toMatch(
      /^not read from here: the database is private to the EB environment's VPC/,
    );
    expect(r.byId("minor-version")).toMatchObject({
      summary:
        "postgres 16.4 runs; 16.9 is the newest of its line (automatic minor upgrades will apply it in a maintenance window)",
      fix: expect.stringContaining("DB_ENGINE_VERSION=16.9"),
    });
    expect(r.byId("alarms").observed).toMatchObject({ missing: [], subscribers: 1 });
    expect(auditExitCode(r)).toBe(1);
  });

  it("an instance changed by hand fails Multi-AZ, backups, the parameter group, Performance Insights and the minor version, each with its fix", async () => {
    const { run } = await made();
    await rdsClient().send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: ID,
        MultiAZ: false,
        BackupRetentionPeriod: 1,
        DBParameterGroupName: "default.postgres16",
        EnablePerformanceInsights: false,
        EngineVersion: "16.8",
        ApplyImmediately: true,
      }),
    );
    await fake.clock.sleep(30 * 60_000);
    const r = await run();
    expect(r.byId("multi-az")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("DB_MULTI_AZ=true"),
      command: "ebdb up --target aws",
    });
    expect(r.byId("backups")).toMatchObject({
      status: "fail",
      summary: "backups are kept 1 day(s), under the 7 the spec asks",
      fix: expect.stringContaining("DB_BACKUP_RETENTION_DAYS=7"),
    });
    expect(r.byId("parameter-group")).toMatchObject({
      status: "fail",
      summary: expect.stringMatching(/^default\.postgres16 is RDS's default group/),
    });
    // PostgreSQL 16 on RDS enforces TLS by default even in the default group.
    expect(r.byId("encryption")).toMatchObject({
      status: "pass",
      summary: expect.stringContaining("rds.force_ssl left at RDS's default (1) in default.postgres16"),
    });
    expect(r.byId("performance-insights")).toMatchObject({
      status: "fail",
      command: "ebdb insights enable --target aws",
    });
    expect(r.byId("minor-version")).toMatchObject({
      status: "fail",
      summary:
        "postgres 16.8 runs; 16.9 is the newest of its line (automatic minor upgrades will apply it in a maintenance window)",
      observed: { current: "16.8", latestMinor: "16.9" },
      command: "ebdb up --target aws --apply-immediately",
    });
  });

  it("records a restore as a test (a tag on the primary) that audit counts until it is too old", async () => {
    const { ctx, target, run } = await made();
    const result = await restore(ctx, { latest: true, target, now: () => fake.clock.now() });
    const tag = fake.state
      .region()
      .rds.instances.get(ID)!
      .tags.find((t) => t.Key === "ebdb:last-restore-test");
    expect(tag?.Value).toBe(`${fake.clock.now().toISOString()} ${result.name} latest`);
    expect((await run()).byId("restore-tested")).toMatchObject({
      status: "pass",
      summary: expect.stringMatching(
        new RegExp(`^restore tested 0 day\\(s\\) ago: ${result.name} from latest`),
      ),
    });
    await fake.clock.sleep(2 * 86_400_000);
    expect((await run(1)).byId("restore-tested")).toMatchObject({
      status: "fail",
      summary: expect.stringMatching(/^the last restore test was 2 days ago/),
    });
  });
  it("MySQL on a micro class: TLS by require_secure_transport; Performance Insights fails with the class change that makes it possible", async () => {
    fake = installFakeAws();
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const desired = desiredOf({ engine: "mysql", performanceInsights: { enabled: false } });
    await up(fake, desired);
    const ctx: CommandContext = { cwd: "/nonexistent", env: {}, io: new RecordingIoHost(), target: "aws" };
    const r = runAudit(await createAwsTarget(ctx, { clock: fake.clock }).observeAudit!(desired));
    const byId = (id: string) => r.practices.find((p) => p.id === id)!;
    expect(byId("encryption").summary).toMatch(/^TLS enforced in transit \(require_secure_transport=1 in /);
    expect(byId("performance-insights")).toMatchObject({
      status: "fail",
      summary: "Performance Insights is off: RDS offers none for mysql on db.t3.micro",
      command: "ebdb scale --instance-class db.t3.medium --target aws",
    });
  });
});
