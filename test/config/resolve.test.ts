import { describe, expect, it } from "vitest";
import { errors, resolveText, warnings } from "./helpers.js";

describe("resolveConfig defaults", () => {
  it("an empty file is a valid configuration with the spec's defaults and derived names", () => {
    const { config, problems } = resolveText("");
    expect(problems).toEqual([]);
    expect(config).not.toBeNull();
    const c = config!;
    expect(c.appName).toBe("my-app");
    expect(c.envName).toBe("prod");
    expect(c.identifier).toBe("my-app-prod-db");
    expect(c.ebApplication).toBe("my-app");
    expect(c.ebEnvironment).toBe("my-app-prod");
    expect(c.names.secret).toBe("my-app/prod/db-password");
    expect(c.names.parameterGroup).toBe("my-app-prod-db-postgres16");
    expect(c.names.proxy).toBe("my-app-prod-db-proxy");
    expect(c.engine).toBe("postgres");
    expect(c.engineMajor).toBe("16");
    expect(c.port).toBe(5432);
    expect(c.region).toBe("us-east-1");
    expect(c.profile).toBeNull();
    expect(c.masterPassword).toBeNull();
    expect(c.storage).toEqual({
      type: "gp3",
      allocatedGiB: 20,
      autoscaling: true,
      maxAllocatedGiB: 100,
      iops: null,
      throughputMiBps: null,
      encrypted: true,
      kmsKeyId: null,
    });
    expect(c.backup).toEqual({ retentionDays: 7, window: "03:00-04:00" });
    expect(c.maintenanceWindow).toBe("sun:04:30-sun:05:30");
    expect(c.multiAz).toBe(true);
    expect(c.deletionProtection).toBe(true);
    expect(c.replicas).toMatchObject({ enabled: false, count: 0, min: 1, max: 3, targetCpu: 70 });
    expect(c.replicas.scaleInCooldownSeconds).toBe(300);
    expect(c.replicas.scaleOutCooldownSeconds).toBe(60);
    expect(c.replicas.instanceClass).toBe("db.t3.micro");
    expect(c.performanceInsights).toEqual({ enabled: true, retentionDays: 7 });
    expect(c.slowQueryMs).toBe(1000);
    expect(c.accessMode).toBe("client-sg");
    expect(c.local.port).toBeNull();
  });

  it("EB_RDS_PROPERTIES: off by default, on with true, an error naming the key otherwise", () => {
    expect(resolveText("").config?.ebRdsProperties).toBe(false);
    expect(resolveText('EB_RDS_PROPERTIES="true"').config?.ebRdsProperties).toBe(true);
    const bad = resolveText('EB_RDS_PROPERTIES="yes"');
    expect(bad.config).toBeNull();
    expect(errors(bad.problems)).toEqual([
      expect.objectContaining({
        key: "EB_RDS_PROPERTIES",
        line: 1,
        message: expect.stringMatching(/not a boolean/),
      }),
    ]);
  });

  it("takes APP_NAME from the folder, sanitized", () => {
    expect(resolveText("", "/srv/My_Shop 2/config.env").config?.appName).toBe("my-shop-2");
    expect(resolveText("", "/srv/2fast/config.env").config?.appName).toBe("fast");
    expect(resolveText("", "/config.env").config?.appName).toBe("app");
  });

  it("derives port and version from the engine, and the parameter group family", () => {
    const c = resolveText('DB_ENGINE="mysql"\nDB_ENGINE_VERSION="8.0.35"').config!;
    expect(c.port).toBe(3306);
    expect(c.engineMajor).toBe("8.0");
    expect(c.names.parameterGroup).toBe("my-app-prod-db-mysql8-0");
    expect(resolveText('DB_ENGINE="mariadb"').config?.engineVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("turns replicas on with the spec's numbers", () => {
    const c = resolveText('DB_READ_REPLICA_ENABLED="true"').config!;
    expect(c.replicas).toMatchObject({ enabled: true, count: 1, min: 1, max: 3 });
  });

  it("ignores max storage when autoscaling is off and the KMS key when not encrypted", () => {
    const c = resolveText('DB_STORAGE_AUTOSCALING_ENABLED="false"').config!;
    expect(c.storage.maxAllocatedGiB).toBeNull();
  });

  it("keeps a set password as a Secret that never prints", () => {
    const c = resolveText('DB_MASTER_PASSWORD="Sup3r-Secret!x"').config!;
    expect(c.masterPassword?.reveal()).toBe("Sup3r-Secret!x");
    expect(JSON.stringify(c)).not.toContain("Sup3r-Secret!x");
  });

  it("warns about a key set twice, naming both lines, and the last one counts", () => {
    const { config, problems } = resolveText('DB_NAME="one"\nENV_NAME="dev"\nDB_NAME="two"');
    expect(config?.dbName).toBe("two");
    expect(warnings(problems)).toEqual([
      expect.objectContaining({
        key: "DB_NAME",
        line: 3,
        message: expect.stringMatching(/line 1 and on line 3/),
      }),
    ]);
  });

  it("lists every problem of a broken file, each on its line", () => {
    const text = [
      'DB_ENGINE="oracle"', // 1
      'DB_BACKUP_RETENTION_DAY="7"', // 2
      'DB_MULTI_AZ="yes"', // 3
      "# comment", // 4
      'DB_ALLOCATED_STORAGE="20GB"', // 5
      'DB_BACKUP_WINDOW="3:00-3:10"', // 6
      'DB_READ_REPLICA_ENABLED="true"', // 7
      'DB_READ_REPLICA_MIN_CAPACITY="4"', // 8
      'DB_READ_REPLICA_MAX_CAPACITY="2"', // 9
      'DB_INSTANCE_CLASS="db.t3.mirco"', // 10
      'DB_PERFORMANCE_INSIGHTS_RETENTION="30"', // 11
    ].join("\n");
    const { config, problems } = resolveText(text);
    expect(config).toBeNull();
    const byLine = errors(problems).map((p) => [p.line, p.key]);
    expect(byLine).toEqual([
      [1, "DB_ENGINE"],
      [2, "DB_BACKUP_RETENTION_DAY"],
      [3, "DB_MULTI_AZ"],
      [5, "DB_ALLOCATED_STORAGE"],
      [6, "DB_BACKUP_WINDOW"],
      [8, "DB_READ_REPLICA_MIN_CAPACITY"],
      [10, "DB_INSTANCE_CLASS"],
      [11, "DB_PERFORMANCE_INSIGHTS_RETENTION"],
    ]);
    for (const p of problems) expect(p.hint).toBeTruthy();
    expect(problems.find((p) => p.line === 2)?.message).toContain("did you mean DB_BACKUP_RETENTION_DAYS?");
    expect(problems.find((p) => p.line === 3)?.hint).toContain("true");
    expect(problems.find((p) => p.line === 10)?.hint).toContain("db.t3.micro");
  });
});
