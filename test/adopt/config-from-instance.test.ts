import { describe, expect, it } from "vitest";
import { type AdoptedDatabase, configFromInstance } from "../../src/adopt/config-from-instance.js";
import { encryptionDowntimeMinutes, encryptionPath } from "../../src/plan/encryption-path.js";
import { parseEnv } from "../../src/config/parse.js";
import { resolveConfig } from "../../src/config/resolve.js";
import { reachOf } from "../../src/targets/aws/decouple-reach.js";

const BASE: AdoptedDatabase = {
  region: "eu-west-1",
  profile: null,
  identifier: "orders-db",
  engine: "postgres",
  engineVersion: "15.7",
  instanceClass: "db.r6g.large",
  dbName: "orders",
  masterUsername: "orders_admin",
  port: 5433,
  multiAz: true,
  deletionProtection: true,
  storageType: "gp3",
  allocatedGiB: 500,
  maxAllocatedGiB: 1000,
  iops: 12000,
  throughputMiBps: 500,
  encrypted: true,
  kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  backupRetentionDays: 14,
  backupWindow: "01:00-01:30",
  maintenanceWindow: "mon:02:00-mon:02:30",
  autoMinorVersionUpgrade: false,
  performanceInsights: { enabled: true, retentionDays: 31 },
  parameterGroup: "orders-db-postgres15",
  slowQueryMs: 250,
  logExports: ["postgresql", "upgrade"],
  alarms: true,
  securityGroups: [{ id: "sg-0123456789abcdef0", name: "orders-db-sg" }],
  subnetGroup: "orders-subnets",
  replicas: [{ name: "orders-read-1", instanceClass: "db.r6g.xlarge" }],
  eb: {
    application: "Orders",
    environment: "Orders-Prod",
    coupled: false,
    deletionPolicy: null,
    foundBy: "its property DB_HOST names the endpoint",
    readsRdsNames: false,
    admitsEbInstances: false,
  },
  masterUserSecretArn: null,
};

/** The configuration the written file resolves to (and its problems). */
function resolve(text: string) {
  return resolveConfig("/p/config.env", parseEnv(Buffer.from(text), {}).entries);
}

describe("configFromInstance", () => {
  it("writes every setting of a production-grade instance, and the file resolves to exactly them", () => {
    const { text, differences } = configFromInstance(BASE);
    const { config, problems } = resolve(text);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(config).toMatchObject({
      appName: "orders",
      envName: "prod",
      ebApplication: "Orders",
      ebEnvironment: "Orders-Prod",
      region: "eu-west-1",
      identifier: "orders-db",
      engineVersion: "15.7",
      port: 5433,
      instanceClass: "db.r6g.large",
      dbName: "orders",
      masterUsername: "orders_admin",
      masterPassword: null,
      multiAz: true,
      storage: {
        type: "gp3",
        allocatedGiB: 500,
        maxAllocatedGiB: 1000,
        iops: 12000,
        throughputMiBps: 500,
        encrypted: true,
        kmsKeyId: BASE.kmsKeyId,
      },
      backup: { retentionDays: 14, window: "01:00-01:30" },
      maintenanceWindow: "mon:02:00-mon:02:30",
      autoMinorVersionUpgrade: false,
      performanceInsights: { enabled: true, retentionDays: 31 },
      slowQueryMs: 250,
      accessMode: "client-sg",
      replicas: { enabled: true, count: 1, instanceClass: "db.r6g.xlarge" },
      names: { dbSecurityGroup: "orders-db-sg", subnetGroup: "orders-subnets" },
    });
    // Below the production default only in automatic minor upgrades, and autoscaling (1 replica, max 1).
    expect(differences).toEqual([
      { key: "DB_AUTO_MINOR_VERSION_UPGRADE", live: "false", production: "true" },
      { key: "DB_READ_REPLICA_MAX_CAPACITY", live: "1", production: "3" },
    ]);
    expect(text).toMatch(/# DB_AUTO_MINOR_VERSION_UPGRADE: .* Production default: true\.\n/);
    expect(text).toContain(
      "# DB_SLOW_QUERY_MS: log_min_duration_statement of parameter group orders-db-postgres15.",
    );
  });

  it("an instance with no EB environment, no database name, autoscaling off and a $ in a name still resolves", () => {
    const { text } = configFromInstance({
      ...BASE,
      identifier: "legacy",
      eb: null,
      dbName: null,
      maxAllocatedGiB: null,
      allocatedGiB: 200,
      storageType: "gp2",
      iops: null,
      throughputMiBps: null,
      encrypted: false,
      kmsKeyId: null,
      replicas: [],
      profile: "team$a",
      performanceInsights: { enabled: false, retentionDays: null },
      slowQueryMs: null,
    });
    const { config, problems } = resolve(text);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(config).toMatchObject({
      appName: "legacy",
      envName: "prod",
      dbName: "postgres",
      profile: "team$a",
      storage: { autoscaling: false, maxAllocatedGiB: null, type: "gp2", encrypted: false },
      replicas: { enabled: false },
      deletionProtection: true,
    });
    expect(text).toContain("AWS_PROFILE='team$a'");
    expect(text).toContain(
      '# DB_MAX_ALLOCATED_STORAGE: unused while storage autoscaling is off.\nDB_MAX_ALLOCATED_STORAGE="220"',
    );
  });
});

describe("encryptionPath", () => {
  it("states the downtime, growing with the volume, and never an in-place change", () => {
    expect(encryptionDowntimeMinutes(20)).toBeLessThan(encryptionDowntimeMinutes(1000));
    const text = encryptionPath("shop-db", 100, 0);
    expect(text).toContain(`Downtime: about ${encryptionDowntimeMinutes(100)} minutes for 100 GiB`);
    expect(text).toContain("cannot encrypt a running instance");
    expect(text).toContain("shop-db-unencrypted (kept until you delete it)");
    expect(text).toContain("after asking");
  });
});

describe("reachOf", () => {
  const target = {
    host: "db.example",
    port: 5432,
    dbName: "ebdb",
    username: "ebroot",
    password: "p@ss word",
  };
  it("each family of names is checked; the password is compared, never shown", () => {
    const r = reachOf(
      {
        RDS_HOSTNAME: "db.example",
        RDS_PORT: "5432",
        RDS_DB_NAME: "ebdb",
        RDS_USERNAME: "ebroot",
        RDS_PASSWORD: "p@ss word",
        DB_HOST: "db.example",
        DB_PORT: "5432",
        DB_NAME: "ebdb",
        DB_USERNAME: "ebroot",
        DB_PASSWORD: "old",
        DATABASE_URL: "postgresql://ebroot:p%40ss%20word@db.example:5432/ebdb?sslmode=verify-full",
        JDBC_DATABASE_URL: "jdbc:postgresql://other.example:5432/ebdb?user=ebroot&password=p%40ss%20word",
      },
      target,
    );
    expect(r.families).toEqual(["RDS", "DB", "DATABASE_URL", "JDBC_DATABASE_URL"]);
    expect(r.problems).toEqual([
      "DB: a password that is not the instance's",
      "JDBC_DATABASE_URL: host other.example",
    ]);
    expect(JSON.stringify(r)).not.toContain("old");
  });
});
