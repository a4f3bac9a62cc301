import { describe, expect, it } from "vitest";
import { deriveDesired } from "../../src/model/desired.js";
import { buildTopology, topologyLines } from "../../src/plan/topology.js";
import { makeConfig, makeConfigWithReplicas } from "../fixtures/config.js";

describe("topology", () => {
  it("lists every AWS resource with the spec's derived names", () => {
    const t = buildTopology(deriveDesired(makeConfigWithReplicas(), "aws"));
    expect(t.resources.map((r) => `${r.kind} ${r.name}`)).toEqual([
      "secret my-app/prod/db-password",
      "subnet-group my-app-prod-db-subnets",
      "security-group my-app-prod-db-sg",
      "security-group my-app-prod-db-client-sg",
      "parameter-group my-app-prod-db-postgres16",
      "instance my-app-prod-db",
      "replica my-app-prod-db-replica-1",
      "replica-autoscaling my-app-prod-db read replicas",
      "topic my-app-prod-db-alarms",
      "alarm my-app-prod-db-high-cpu",
      "alarm my-app-prod-db-low-storage",
      "alarm my-app-prod-db-high-connections",
      "alarm my-app-prod-db-low-memory",
      "alarm my-app-prod-db-high-read-latency",
      "alarm my-app-prod-db-high-write-latency",
      "alarm my-app-prod-db-replica-1-lag",
      "eb-environment my-app-prod",
      "iam-policy my-app-prod instance role",
    ]);
    expect(t.awsOnly).toEqual([]);
    const pg = t.resources.find((r) => r.kind === "parameter-group")!;
    expect(pg.settings).toMatchObject({
      family: "postgres16",
      "rds.force_ssl": "1",
      log_min_duration_statement: "1000",
      shared_preload_libraries: "pg_stat_statements (static: applies at reboot)",
    });
    const primary = t.resources.find((r) => r.kind === "instance")!;
    expect(primary.settings).toMatchObject({
      engine: "PostgreSQL 16.4",
      instanceClass: "db.t3.micro (2 vCPU, 1 GiB)",
      storageType: "gp3",
      allocatedGiB: 20,
      maxAllocatedGiB: 100,
      iops: "baseline 3000",
      encrypted: true,
      kmsKey: "aws/rds (AWS-managed)",
      multiAz: true,
      backupRetentionDays: 7,
      backupWindow: "03:00-04:00 UTC",
      maintenanceWindow: "sun:04:30-sun:05:30 UTC",
      publiclyAccessible: false,
      masterPassword: "in my-app/prod/db-password",
    });
  });

  it("prints the names a user looks for", () => {
    const text = topologyLines(buildTopology(deriveDesired(makeConfig(), "aws"))).join("\n");
    expect(text).toMatch(/^Topology of my-app-prod-db \(aws, us-east-1\): PostgreSQL 16\.4/);
    expect(text).toMatch(/secret my-app\/prod\/db-password/);
    expect(text).toMatch(/instance my-app-prod-db\n/);
    expect(text).toMatch(/ingress: +tcp 5432 from my-app-prod-db-client-sg only/);
  });

  it("is the primary, replicas and backups locally, and says what is AWS-only", () => {
    const t = buildTopology(deriveDesired(makeConfigWithReplicas({ replicas: { count: 2 } }), "local"));
    expect(t.resources.map((r) => `${r.kind} ${r.name}`)).toEqual([
      "instance my-app-prod-db",
      "replica my-app-prod-db-replica-1",
      "replica my-app-prod-db-replica-2",
      "backups my-app-prod-db backups",
    ]);
    expect(t.resources[0].settings).toMatchObject({
      log_min_duration_statement: "1000",
      port: "a free port, chosen at up",
    });
    expect(t.resources[0].settings).not.toHaveProperty("rds.force_ssl");
    expect(t.resources[3].settings).toMatchObject({ retentionDays: 7, pointInTimeRestore: true });
    expect(t.awsOnly.join("\n")).toMatch(/security groups/);
    expect(t.awsOnly.join("\n")).toMatch(/alarms/);
    expect(topologyLines(t).join("\n")).toMatch(/Made on AWS only \(not locally\):/);
  });

  it("notes what is risky", () => {
    const t = buildTopology(
      deriveDesired(makeConfig({ multiAz: false, backup: { retentionDays: 0 } }), "aws"),
    );
    expect(t.notes.join("\n")).toMatch(/Backups are off/);
    expect(t.notes.join("\n")).toMatch(/Single-AZ/);
  });
});
