import { describe, expect, it } from "vitest";
import { deriveDesired, desiredParameters, replicaIndex, replicaName } from "../../src/model/desired.js";
import { Secret } from "../../src/model/secret.js";
import { makeConfig, makeConfigWithReplicas } from "../fixtures/config.js";

describe("deriveDesired", () => {
  it("names everything after the spec's conventions", () => {
    const d = deriveDesired(makeConfigWithReplicas({ replicas: { count: 2 } }), "aws");
    expect(d.identifier).toBe("my-app-prod-db");
    expect(d.primary.name).toBe("my-app-prod-db");
    expect(d.secret).toEqual({
      name: "my-app/prod/db-password",
      generate: true,
      variables: {
        password: "my-app/prod/eb/DB_PASSWORD",
        url: "my-app/prod/eb/DATABASE_URL",
        jdbc: "my-app/prod/eb/JDBC_DATABASE_URL",
        // Named whether or not DB_RDS_PROXY_ENABLED is on: up uses it only then, destroy removes it.
        poolUrl: "my-app/prod/eb/DATABASE_POOL_URL",
      },
    });
    expect(d.replicas.map((r) => r.name)).toEqual(["my-app-prod-db-replica-1", "my-app-prod-db-replica-2"]);
    expect(d.parameterGroup.name).toBe("my-app-prod-db-postgres16");
    expect(d.parameterGroup.family).toBe("postgres16");
    expect(d.network).toEqual({
      subnetGroup: "my-app-prod-db-subnets",
      dbSecurityGroup: "my-app-prod-db-sg",
      clientSecurityGroup: "my-app-prod-db-client-sg",
      accessMode: "client-sg",
    });
    expect(d.monitoring.topic).toBe("my-app-prod-db-alarms");
    expect(d.tags).toEqual({ "ebdb:app": "my-app", "ebdb:env": "prod", "ebdb:managed": "true" });
    expect(d.eb).toEqual({
      application: "my-app",
      environment: "my-app-prod",
      properties: [
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "DB_USERNAME",
        "DB_PASSWORD",
        "DATABASE_URL",
        "DB_REPLICA_HOSTS",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGPASSWORD",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "JDBC_DATABASE_URL",
        "JDBC_DATABASE_USERNAME",
        "JDBC_DATABASE_PASSWORD",
        // Read replicas that autoscale: the reader endpoint's record the AWS runner keeps.
        "DB_READER_HOST",
        "DB_READER_PORT",
      ],
      // Never plain properties: each is a reference to the secret holding exactly its value.
      secrets: {
        DB_PASSWORD: "password",
        PGPASSWORD: "password",
        JDBC_DATABASE_PASSWORD: "password",
        DATABASE_URL: "url",
        JDBC_DATABASE_URL: "jdbc",
      },
    });
    expect(d.primary.caCertificateIdentifier).toBe("rds-ca-rsa2048-g1");
    expect(d.replicas.map((r) => r.caCertificateIdentifier)).toEqual([
      "rds-ca-rsa2048-g1",
      "rds-ca-rsa2048-g1",
    ]);
  });

  it("carries every instance setting of the configuration to the primary", () => {
    const d = deriveDesired(makeConfig(), "aws");
    expect(d.primary).toMatchObject({
      role: "primary",
      instanceClass: "db.t3.micro",
      engine: "postgres",
      engineVersion: "16.4",
      port: 5432,
      storage: { type: "gp3", allocatedGiB: 20, autoscaling: true, maxAllocatedGiB: 100, encrypted: true },
      multiAz: true,
      backup: { retentionDays: 7, window: "03:00-04:00" },
      maintenanceWindow: "sun:04:30-sun:05:30",
      deletionProtection: true,
      performanceInsights: { enabled: true, retentionDays: 7 },
      logExports: ["postgresql", "upgrade"],
      publiclyAccessible: false,
      copyTagsToSnapshot: true,
    });
  });

  it("makes replicas single-AZ, without backups or deletion protection, of the replica class, spread over AZs", () => {
    const d = deriveDesired(
      makeConfigWithReplicas({ replicas: { count: 3, instanceClass: "db.t3.small" } }),
      "aws",
    );
    expect(
      d.replicas.map((r) => [
        r.instanceClass,
        r.multiAz,
        r.backup.retentionDays,
        r.deletionProtection,
        r.azIndex,
      ]),
    ).toEqual([
      ["db.t3.small", false, 0, false, 0],
      ["db.t3.small", false, 0, false, 1],
      ["db.t3.small", false, 0, false, 2],
    ]);
  });

  it("makes no replicas when they are off, whatever the count", () => {
    expect(deriveDesired(makeConfig({ replicas: { enabled: false, count: 2 } }), "aws").replicas).toEqual([]);
  });

  it("marks the generated password only when none is configured", () => {
    expect(
      deriveDesired(makeConfig({ masterPassword: new Secret("Abcdefgh1!") }), "aws").secret.generate,
    ).toBe(false);
  });

  it("sets PostgreSQL's TLS, slow-query and pg_stat_statements parameters, the last one static", () => {
    const local = {
      "rds.force_ssl": { value: "1", applyMethod: "immediate" },
      log_min_duration_statement: { value: "250", applyMethod: "immediate" },
      shared_preload_libraries: { value: "pg_stat_statements", applyMethod: "pending-reboot" },
    };
    expect(desiredParameters(makeConfig({ slowQueryMs: 250 }), "local")).toEqual(local);
    // On RDS also hot_standby_feedback (dynamic), which local replicas have in their own configuration.
    expect(desiredParameters(makeConfig({ slowQueryMs: 250 }), "aws")).toEqual({
      ...local,
      hot_standby_feedback: { value: "1", applyMethod: "immediate", why: expect.stringMatching(/vacuum/) },
    });
  });

  it("sets MySQL's and MariaDB's TLS and slow-query log in seconds, to a file CloudWatch can export", () => {
    for (const engine of ["mysql", "mariadb"] as const) {
      const d = deriveDesired(makeConfig({ engine, slowQueryMs: 1500 }), "aws");
      expect(
        Object.fromEntries(Object.entries(d.parameterGroup.parameters).map(([k, p]) => [k, p.value])),
      ).toEqual({
        require_secure_transport: "1",
        slow_query_log: "1",
        log_output: "FILE",
        long_query_time: "1.5",
      });
      expect(d.primary.logExports).toEqual(["error", "slowquery"]);
    }
    expect(deriveDesired(makeConfig({ engine: "mysql" }), "aws").parameterGroup.family).toBe("mysql8.0");
    expect(deriveDesired(makeConfig({ engine: "mariadb" }), "aws").parameterGroup.family).toBe(
      "mariadb10.11",
    );
  });

  it("turns MySQL's slow-query log off at -1", () => {
    const p = desiredParameters(makeConfig({ engine: "mysql", slowQueryMs: -1 }));
    expect(p.slow_query_log.value).toBe("0");
    expect(p.long_query_time).toBeUndefined();
  });

  it("derives the alarms: the spec's CPU alarm, storage, connections, memory, latency, and lag per replica", () => {
    const d = deriveDesired(makeConfigWithReplicas({ replicas: { count: 2 } }), "aws");
    const byName = Object.fromEntries(d.monitoring.alarms.map((a) => [a.name, a]));
    expect(Object.keys(byName)).toEqual([
      "my-app-prod-db-high-cpu",
      "my-app-prod-db-low-storage",
      "my-app-prod-db-high-connections",
      "my-app-prod-db-low-memory",
      "my-app-prod-db-high-read-latency",
      "my-app-prod-db-high-write-latency",
      "my-app-prod-db-replica-1-lag",
      "my-app-prod-db-replica-2-lag",
    ]);
    expect(byName["my-app-prod-db-high-cpu"]).toMatchObject({
      metric: "CPUUtilization",
      threshold: 80,
      periodSeconds: 300,
      evaluationPeriods: 2,
      comparison: "GreaterThanThreshold",
      instance: "my-app-prod-db",
    });
    // 10% of 20 GiB, in bytes.
    expect(byName["my-app-prod-db-low-storage"].threshold).toBe(2_147_483_648);
    // db.t3.micro: 1 GiB → about 80 connections by RDS's formula; alarm at 80%.
    expect(byName["my-app-prod-db-high-connections"].threshold).toBe(
      Math.floor(Math.floor((724 * 1024 * 1024) / 9_531_392) * 0.8),
    );
    expect(byName["my-app-prod-db-low-memory"].threshold).toBe(Math.round(1024 ** 3 * 0.1));
    expect(byName["my-app-prod-db-replica-2-lag"]).toMatchObject({
      metric: "ReplicaLag",
      threshold: 30,
      instance: "my-app-prod-db-replica-2",
    });
  });

  it("leaves out the class-derived alarms for a class outside the catalog", () => {
    const names = deriveDesired(
      makeConfig({ instanceClass: "db.x2iedn.xlarge" }),
      "aws",
    ).monitoring.alarms.map((a) => a.name);
    expect(names).not.toContain("my-app-prod-db-high-connections");
    expect(names).not.toContain("my-app-prod-db-low-memory");
    expect(names).toContain("my-app-prod-db-high-cpu");
  });

  it("uses the local port for the local target, and the RDS port on AWS", () => {
    const c = makeConfig({ local: { port: 15432 } });
    expect(deriveDesired(c, "local").primary.port).toBe(15432);
    expect(deriveDesired(c, "aws").primary.port).toBe(5432);
  });

  it("is pure: the same configuration gives the same Desired", () => {
    const c = makeConfigWithReplicas();
    expect(deriveDesired(c, "aws")).toEqual(deriveDesired(c, "aws"));
  });

  it("recognises replica names", () => {
    expect(replicaIndex("my-app-prod-db", "my-app-prod-db-replica-12")).toBe(12);
    expect(replicaIndex("my-app-prod-db", "my-app-prod-db-replica-0")).toBeNull();
    expect(replicaIndex("my-app-prod-db", "my-app-prod-db-replica")).toBeNull();
    expect(replicaIndex("my-app-prod-db", "other-db-replica-1")).toBeNull();
    // An identifier too long for the suffix (as EB makes them) is cut to fit RDS's 63 characters.
    const eb = "awseb-e-8neqsh9m3y-stack-awsebrdsdatabase-7pth6zviixzm";
    expect(replicaName(eb, 1)).toBe("awseb-e-8neqsh9m3y-stack-awsebrdsdatabase-7pth6zviixz-replica-1");
    expect(replicaName(eb, 12)).toBe("awseb-e-8neqsh9m3y-stack-awsebrdsdatabase-7pth6zviix-replica-12");
    expect(replicaIndex(eb, replicaName(eb, 12))).toBe(12);
    expect(replicaIndex(eb, `${eb}-replica-1`)).toBeNull();
  });
});
