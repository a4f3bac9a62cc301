import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { ModifyDBInstanceCommand, StopDBInstanceCommand } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { doctor, doctorExitCode } from "../../src/api/doctor.js";
import { doctorLines } from "../../src/cli/render/doctor.js";
import { runChecks } from "../../src/doctor/registry.js";
import type { CheckResult } from "../../src/doctor/types.js";
import { RecordingIoHost } from "../../src/io.js";
import { createAwsTarget } from "../../src/targets/aws/index.js";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "../fakes/aws/index.js";
import { credentials, rdsClient } from "../fakes/aws/test-helpers.js";
import { desiredOf, up } from "../targets/aws/harness.js";

const ID = "my-app-prod-db";
const GIB = 1024 ** 3;
let fake: FakeAws;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project whose config.env means what desiredOf() means: my-app / prod, PostgreSQL 16.4. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-doctor-aws-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    [
      'APP_NAME="my-app"',
      'ENV_NAME="prod"',
      'DB_ENGINE_VERSION="16.4"',
      'DB_INSTANCE_CLASS="db.t3.micro"',
      "",
    ].join("\n"),
  );
  return dir;
}

/** A database made by `ebdb up` on the fake, and a doctor that runs on it. */
async function made(start?: Date) {
  fake = installFakeAws(start ? { start } : {});
  seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
  await up(fake, desiredOf());
  const ctx: CommandContext = { cwd: project(), env: {}, io: new RecordingIoHost(), target: "aws" };
  const target = createAwsTarget(ctx, { clock: fake.clock });
  return async () => {
    const r = await doctor(ctx, { target });
    return { ...r, byId: (id: string) => r.checks.find((c) => c.id === id) as CheckResult };
  };
}

const metric = (name: string, value: number, minutesAgo = 1) =>
  fake.putMetric({
    namespace: "AWS/RDS",
    metricName: name,
    dimensions: { DBInstanceIdentifier: ID },
    value,
    at: new Date(fake.clock.now().getTime() - minutesAgo * 60_000),
  });

/** Two days of hourly free space, shrinking by `perDayGiB`, ending at `freeGiB`; a calm CPU and 10 connections. */
function healthyMetrics(freeGiB = 15, perDayGiB = 0.1) {
  for (let h = 47; h >= 0; h--)
    metric("FreeStorageSpace", (freeGiB + (perDayGiB * h) / 24) * GIB, h * 60 + 1);
  metric("CPUUtilization", 12);
  metric("DatabaseConnections", 10);
  metric("CPUCreditBalance", 140, 61);
  metric("CPUCreditBalance", 141);
}

describe("ebdb doctor on AWS (the fake)", () => {
  it("a healthy database is green, says why the network and SQL checks are not tried from here, and keeps the --json shape", async () => {
    const run = await made();
    healthyMetrics();
    const r = await run();
    expect(Object.keys(r)).toEqual(expect.arrayContaining(["target", "identifier", "checks"]));
    expect(r).toMatchObject({ target: "aws", identifier: ID });
    for (const c of r.checks)
      expect(Object.keys(c).sort()).toEqual(["fix", "id", "observed", "status", "summary"]);
    const status = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    expect(status).toMatchObject({
      "instance-status": "green",
      certificate: "green",
      "network-path": "green",
      storage: "green",
      cpu: "green",
      "cpu-credits": "green",
      connections: "green",
      replicas: "green",
      "wal-archive": "green",
      dns: "skipped",
      tcp: "skipped",
      "long-queries": "skipped",
      "top-queries": "skipped",
    });
    expect(r.checks.filter((c) => c.status === "red" || c.status === "yellow")).toEqual([]);
    expect(doctorExitCode(r)).toBe(0);
    expect(r.byId("certificate").observed).toMatchObject({
      ca: "rds-ca-rsa2048-g1",
      caNotAfter: "2061-05-25T23:34:57.000Z",
    });
    expect(r.byId("tcp").summary).toMatch(/^not tried from here: port 5432 admits only/);
    expect(r.byId("long-queries").summary).toMatch(/private to the EB environment's VPC.*SSM/);
    expect(r.byId("storage").summary).toMatch(
      /15\.0 GiB free of 20\.0 GiB .*autoscaling may add 80\.0 GiB; full in \d+ days at 102\.4 MiB\/day over 47 h/,
    );
    expect(r.byId("connections").summary).toBe(
      "10 of 79 connections in use (12.7%; CloudWatch DatabaseConnections; max_connections: RDS's default for db.t3.micro, LEAST({DBInstanceClassMemory/9531392},5000))",
    );
    // The text report says the SQL checks' one reason once, naming the others.
    const text = doctorLines(r, false);
    expect(text.filter((l) => l.includes("private to the EB environment's VPC"))).toHaveLength(1);
    expect(text.join("\n")).toMatch(
      /\(the same for Long transactions, Long-running queries, .*Schema count\)/,
    );
    // The JSON a script reads has no SDK shapes or dates, only plain values.
    expect(JSON.parse(JSON.stringify(r.checks))).toEqual(r.checks);
  });

  it("names the missing security-group rule from the EB instances, and exits 1", async () => {
    const run = await made();
    healthyMetrics();
    const ec2 = new EC2Client({ region: "us-east-1", credentials });
    const groups = [...fake.state.region().ec2.securityGroups.values()];
    const db = groups.find((g) => g.GroupName === `${ID}-sg`)!;
    const client = groups.find((g) => g.GroupName === `${ID}-client-sg`)!;
    const rule = db.ingress.find((x) => x.sourceGroupId === client.GroupId)!;
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: db.GroupId, SecurityGroupRuleIds: [rule.ruleId] }),
    );
    const r = await run();
    const path = r.byId("network-path");
    expect(path.status).toBe("red");
    expect(path.summary).toBe(
      `${ID}-sg (${db.GroupId}) has no inbound rule for TCP 5432 from ${ID}-client-sg (${client.GroupId}): the EB instances cannot connect`,
    );
    expect(path.observed.missingRule).toEqual({
      groupId: db.GroupId,
      protocol: "tcp",
      port: 5432,
      sourceGroupId: client.GroupId,
    });
    expect(path.fix).toContain(
      `aws ec2 authorize-security-group-ingress --group-id ${db.GroupId} --protocol tcp --port 5432 --source-group ${client.GroupId}`,
    );
    expect(doctorExitCode(r)).toBe(1);
  });

  it("reports a stopped instance red, with the command that starts it", async () => {
    const run = await made();
    healthyMetrics();
    await rdsClient().send(new StopDBInstanceCommand({ DBInstanceIdentifier: ID }));
    await fake.clock.sleep(5 * 60_000);
    const r = await run();
    expect(r.byId("instance-status")).toMatchObject({
      status: "red",
      summary: `${ID} is stopped: it serves no connections`,
      fix: expect.stringContaining(`aws rds start-db-instance --db-instance-identifier ${ID}`),
    });
    expect(doctorExitCode(r)).toBe(1);
  });

  it("turns red when FreeStorageSpace is low, and red again for connections near max_connections", async () => {
    const run = await made();
    healthyMetrics(0.5, 2);
    metric("DatabaseConnections", 75, 0);
    const r = await run();
    expect(r.byId("storage")).toMatchObject({
      status: "red",
      summary: expect.stringMatching(/^512\.0 MiB free of 20\.0 GiB \(2\.5%\)/),
      fix: expect.stringContaining("ebdb scale --storage"),
    });
    expect(r.byId("storage").observed).toMatchObject({ freeBytes: 0.5 * GIB, allocatedBytes: 20 * GIB });
    expect(r.byId("connections")).toMatchObject({
      status: "red",
      summary: expect.stringMatching(/^75 of 79/),
    });
    expect(doctorExitCode(r)).toBe(1);
  });

  it("says yellow when the instance's CA expires within 90 days (rds-ca-2019 in June 2024)", async () => {
    const run = await made(new Date("2024-06-15T10:00:00Z"));
    healthyMetrics();
    await rdsClient().send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: ID,
        CACertificateIdentifier: "rds-ca-2019",
        ApplyImmediately: true,
      }),
    );
    await fake.clock.sleep(10 * 60_000);
    healthyMetrics();
    const r = await run();
    expect(r.byId("certificate")).toMatchObject({
      status: "yellow",
      summary: "the CA rds-ca-2019 expires in 68 day(s), 2024-08-22",
      fix: expect.stringContaining(
        "Move the instance to rds-ca-rsa2048-g1, the CA ebdb pins (valid until 2061): `ebdb up --target aws --apply-immediately`",
      ),
      observed: { ca: "rds-ca-2019", caNotAfter: "2024-08-22T17:08:50.000Z", daysLeft: 68 },
    });
    expect(doctorExitCode(r)).toBe(0);
  });

  it("skips the metrics it has no recent figure for, saying so, rather than guessing", async () => {
    const run = await made();
    const r = await run();
    expect(r.byId("cpu").status).toBe("skipped");
    expect(r.byId("storage")).toMatchObject({ status: "skipped", summary: "free space could not be read" });
    expect(r.byId("connections").summary).toBe("no DatabaseConnections figure in the last 15 minutes");
  });
  it("MySQL: the AWS checks run (max_connections by MySQL's formula); PostgreSQL's statistics checks say they do not apply", async () => {
    fake = installFakeAws();
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const desired = desiredOf({ engine: "mysql", performanceInsights: { enabled: false } });
    await up(fake, desired);
    metric("DatabaseConnections", 20);
    const ctx: CommandContext = { cwd: "/nonexistent", env: {}, io: new RecordingIoHost(), target: "aws" };
    const r = runChecks(await createAwsTarget(ctx, { clock: fake.clock }).observeHealth!(desired));
    const byId = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(byId("instance-status").status).toBe("green");
    expect(byId("network-path")).toMatchObject({ status: "green", observed: { port: 3306 } });
    expect(byId("connections").summary).toBe(
      "20 of 60 connections in use (33.3%; CloudWatch DatabaseConnections; max_connections: RDS's default for db.t3.micro, {DBInstanceClassMemory/12582880})",
    );
    expect(byId("long-queries")).toMatchObject({
      status: "skipped",
      summary: "does not apply to mysql: it reads PostgreSQL's own statistics views",
    });
  });
  it("replica lag: an idle PostgreSQL primary's five minutes are not a fault; past them red; with writes it is yellow", async () => {
    fake = installFakeAws();
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    const desired = desiredOf({ replicas: { enabled: true, count: 1 } });
    await up(fake, desired);
    const replica = `${ID}-replica-1`;
    const ctx: CommandContext = { cwd: "/nonexistent", env: {}, io: new RecordingIoHost(), target: "aws" };
    const target = createAwsTarget(ctx, { clock: fake.clock });
    const replicas = async () =>
      runChecks(await target.observeHealth!(desired)).checks.find((c) => c.id === "replicas")!;
    const onReplica = runChecks(await target.observeHealth!(desired, { instance: replica }));
    expect(onReplica.instance).toBe(replica);
    expect(onReplica.checks.find((c) => c.id === "replicas")).toMatchObject({
      status: "skipped",
      summary: `${replica} is a replica: replication is read on the primary`,
    });
    await expect(target.observeHealth!(desired, { instance: "nope" })).rejects.toMatchObject({
      code: "INSTANCE_NOT_FOUND",
      hint: expect.stringContaining(`${ID}, ${replica}`),
    });
    fake.setReplicaLag(replica, 240);
    metric("TransactionLogsGeneration", 40, 6);
    metric("TransactionLogsGeneration", 35, 1);
    expect(await replicas()).toMatchObject({
      status: "green",
      summary: `1 replica(s) keeping up: ${replica} 4 min, the primary idle`,
    });
    fake.setReplicaLag(replica, 900);
    expect(await replicas()).toMatchObject({ status: "red", summary: `replica lag: ${replica} 15 min` });
    fake.setReplicaLag(replica, 240);
    metric("TransactionLogsGeneration", 50_000, 0);
    expect(await replicas()).toMatchObject({ status: "yellow", summary: `replica lag: ${replica} 4 min` });
  });
});
