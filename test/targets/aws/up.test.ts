import { afterEach, describe, expect, it } from "vitest";
import { isEbdbError } from "../../../src/errors.js";
import { RecordingIoHost } from "../../../src/io.js";
import { Secret } from "../../../src/model/secret.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { EB_NAMESPACES, environmentProperties } from "../../fakes/aws/index.js";
import { currentValue, expectAppSees } from "./converged.js";
import { desiredOf, planOf, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const TAGS = [
  { Key: "ebdb:app", Value: "my-app" },
  { Key: "ebdb:env", Value: "prod" },
  { Key: "ebdb:managed", Value: "true" },
];

function envOf(f: FakeAws, name = "my-app-prod") {
  const env = [...f.state.region().eb.environments.values()].find((e) => e.name === name);
  if (!env) throw new Error("no env");
  return env;
}

describe("up against the AWS fake, from nothing", () => {
  it("creates every resource with the configuration's settings", async () => {
    const w = world();
    fake = w.fake;
    const desired = desiredOf({ replicas: { enabled: true, count: 2 }, alarmEmail: "ops@example.com" });
    const io = new RecordingIoHost();
    const plan = await up(fake, desired, { io });
    expect(plan.refused).toEqual([]);
    const r = fake.state.region();

    // The instance, with every setting of the configuration.
    const db = r.rds.instances.get("my-app-prod-db")!;
    expect(db).toMatchObject({
      status: "available",
      engine: "postgres",
      engineVersion: "16.4",
      instanceClass: "db.t3.micro",
      storageType: "gp3",
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageEncrypted: true,
      multiAz: true,
      publiclyAccessible: false,
      backupRetention: 7,
      backupWindow: "03:00-04:00",
      maintenanceWindow: "sun:04:30-sun:05:30",
      deletionProtection: true,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      piEnabled: true,
      piRetention: 7,
      masterUsername: "dbadmin",
      dbName: "app",
      port: 5432,
      subnetGroupName: "my-app-prod-db-subnets",
      parameterGroupName: desired.parameterGroup.name,
    });
    expect(db.kmsKeyArn).toMatch(/^arn:aws:kms:/);
    expect([...db.logExports].sort()).toEqual(["postgresql", "upgrade"]);
    expect(db.tags).toEqual(expect.arrayContaining(TAGS));

    // Two replicas of the replica class, in different zones, with the same security group.
    const replicas = ["my-app-prod-db-replica-1", "my-app-prod-db-replica-2"].map(
      (n) => r.rds.instances.get(n)!,
    );
    for (const rep of replicas) {
      expect(rep).toMatchObject({
        status: "available",
        replicaSource: "my-app-prod-db",
        instanceClass: "db.t3.micro",
      });
      expect(rep.vpcSecurityGroupIds).toEqual(db.vpcSecurityGroupIds);
      expect(rep.maintenanceWindow).toBe("sun:04:30-sun:05:30");
    }
    expect(new Set(replicas.map((x) => x.az)).size).toBe(2);
    expect(r.rds.instances.size).toBe(3);

    // The secret, in RDS's JSON layout, with a generated password the instance has; beside it one
    // secret per value an EB variable takes (EB puts a secret's whole value in the variable).
    const secrets = [...r.secrets.values()];
    expect(secrets.map((s) => s.name).sort()).toEqual([
      "my-app/prod/db-password",
      "my-app/prod/eb/DATABASE_URL",
      "my-app/prod/eb/DB_PASSWORD",
      "my-app/prod/eb/JDBC_DATABASE_URL",
    ]);
    const secret = secrets.find((s) => s.name === "my-app/prod/db-password")!;
    const doc = JSON.parse(secret.versions.find((v) => v.stages.includes("AWSCURRENT"))!.value!);
    expect(Object.keys(doc).sort()).toEqual([
      "dbInstanceIdentifier",
      "dbname",
      "engine",
      "host",
      "password",
      "port",
      "username",
    ]);
    expect(doc).toMatchObject({
      username: "dbadmin",
      engine: "postgres",
      port: 5432,
      dbname: "app",
      dbInstanceIdentifier: "my-app-prod-db",
    });
    expect(doc.host).toMatch(/^my-app-prod-db\..*rds\.amazonaws\.com$/);
    expect(doc.password).toMatch(/^[A-Za-z0-9\-_.~]{35}$/);
    expect(db.masterPassword).toBe(doc.password);
    expect(secret.tags).toEqual(expect.arrayContaining(TAGS));

    // Network: the DB group admits the port only from the client group, which EB instances carry.
    const sgs = [...r.ec2.securityGroups.values()];
    const dbSg = sgs.find((g) => g.GroupName === desired.network.dbSecurityGroup)!;
    const clientSg = sgs.find((g) => g.GroupName === desired.network.clientSecurityGroup)!;
    expect(dbSg.VpcId).toBe(w.env.vpcId);
    expect(db.vpcSecurityGroupIds).toEqual([dbSg.GroupId]);
    expect(dbSg.ingress).toHaveLength(1);
    expect(dbSg.ingress[0]).toMatchObject({
      protocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
      sourceGroupId: clientSg.GroupId,
      cidr: undefined,
    });
    expect(dbSg.Tags).toEqual(expect.arrayContaining(TAGS));
    const env = envOf(fake);
    const attached = env.options.get(`${EB_NAMESPACES.launch}|SecurityGroups`)!.split(",");
    expect(attached).toEqual([w.env.instanceSecurityGroupId, clientSg.GroupId]);

    // Subnet group over the private subnets; parameter group of the family with the engine's settings.
    const group = r.rds.subnetGroups.get("my-app-prod-db-subnets")!;
    expect([...group.subnetIds].sort()).toEqual([...w.env.privateSubnetIds].sort());
    const pg = r.rds.parameterGroups.get(desired.parameterGroup.name)!;
    expect(pg.family).toBe("postgres16");
    expect(Object.fromEntries([...pg.values].map(([k, v]) => [k, v.value]))).toMatchObject({
      "rds.force_ssl": "1",
      log_min_duration_statement: "1000",
      shared_preload_libraries: "pg_stat_statements",
    });

    // EB wiring: the plain properties, the secret variables by reference, the role's policy.
    const props = environmentProperties(env);
    const hosts = replicas.map((x) => `${x.id}.${r.rds.endpointSuffix}.us-east-1.rds.amazonaws.com:5432`);
    expect(props).toEqual({
      NODE_ENV: "production",
      DB_HOST: doc.host,
      DB_PORT: "5432",
      DB_NAME: "app",
      DB_USERNAME: "dbadmin",
      DB_REPLICA_HOSTS: hosts.join(","),
      // Autoscaling is on (min 1 < max 3): the reader record's name.
      DB_READER_HOST: "reader.my-app-prod-db.ebdb.internal",
      DB_READER_PORT: "5432",
      PGHOST: doc.host,
      PGPORT: "5432",
      PGDATABASE: "app",
      PGUSER: "dbadmin",
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: "/etc/pki/ebdb/rds-ca-bundle.pem",
      JDBC_DATABASE_USERNAME: "dbadmin",
    });
    const arn = (name: string) => secrets.find((s) => s.name === name)!.arn;
    const pw = arn("my-app/prod/eb/DB_PASSWORD");
    expect(environmentProperties(env, EB_NAMESPACES.secrets)).toEqual({
      DB_PASSWORD: pw,
      PGPASSWORD: pw,
      JDBC_DATABASE_PASSWORD: pw,
      DATABASE_URL: arn("my-app/prod/eb/DATABASE_URL"),
      JDBC_DATABASE_URL: arn("my-app/prod/eb/JDBC_DATABASE_URL"),
    });
    const policy = JSON.parse(
      fake.state.iam.roles.get(w.env.roleName)!.policies.get("ebdb-my-app-prod-db-db-secret")!,
    );
    expect(policy.Statement).toEqual([
      {
        Sid: "ReadDatabaseSecret",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: [
          secret.arn,
          pw,
          arn("my-app/prod/eb/DATABASE_URL"),
          arn("my-app/prod/eb/JDBC_DATABASE_URL"),
        ],
      },
    ]);
    // What the application on the instances reads: the password itself, a verifying DATABASE_URL.
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe(doc.password);
    expectAppSees(fake, desired);
    // Every instance has the CA set, whatever the account's default.
    for (const i of [db, ...replicas]) expect(i.caCert).toBe("rds-ca-rsa2048-g1");

    // Monitoring: the topic with the e-mail subscription, and the alarms (one lag alarm per replica).
    const topics = [...r.sns.topics.values()];
    expect(topics.map((t) => t.name)).toEqual(["my-app-prod-db-alarms"]);
    expect(topics[0].subscriptions.map((s) => [s.protocol, s.endpoint])).toEqual([
      ["email", "ops@example.com"],
    ]);
    const alarms = [...r.cloudwatch.alarms.values()];
    expect(alarms.map((a) => a.name).sort()).toEqual(
      [
        "my-app-prod-db-high-connections",
        "my-app-prod-db-high-cpu",
        "my-app-prod-db-high-read-latency",
        "my-app-prod-db-high-write-latency",
        "my-app-prod-db-low-memory",
        "my-app-prod-db-low-storage",
        "my-app-prod-db-replica-1-lag",
        "my-app-prod-db-replica-2-lag",
      ].sort(),
    );
    const cpu = r.cloudwatch.alarms.get("my-app-prod-db-high-cpu")!.input;
    expect(cpu).toMatchObject({
      MetricName: "CPUUtilization",
      Namespace: "AWS/RDS",
      Statistic: "Average",
      Period: 300,
      EvaluationPeriods: 2,
      Threshold: 80,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [topics[0].arn],
    });
    expect(r.cloudwatch.alarms.get("my-app-prod-db-replica-2-lag")!.input).toMatchObject({
      MetricName: "ReplicaLag",
      Threshold: 30,
      Dimensions: [{ Name: "DBInstanceIdentifier", Value: "my-app-prod-db-replica-2" }],
    });
    expect(r.cloudwatch.alarms.get("my-app-prod-db-low-storage")!.input.Threshold).toBe(2 * 1024 ** 3);

    // Progress: waits said what they waited for, and how long.
    const progress = io.events.filter((e) => e.type === "progress");
    expect(
      progress.some(
        (e) => e.type === "progress" && /my-app-prod-db to be available: creating/.test(e.message),
      ),
    ).toBe(true);
    expect(progress.every((e) => e.type !== "progress" || e.elapsedMs !== undefined)).toBe(true);
    expect(io.events.filter((e) => e.type === "change-done")).toHaveLength(plan.changes.length);
  });

  it("then makes no mutating call on a second up, and plans nothing", async () => {
    ({ fake } = world());
    const desired = desiredOf({ replicas: { enabled: true, count: 2 }, alarmEmail: "ops@example.com" });
    await up(fake, desired);
    fake.resetCalls();
    const again = await up(fake, desired);
    expect(again).toEqual({ target: "aws", changes: [], refused: [], notes: [] });
    expect(fake.countCalls({ mutating: true })).toBe(0);
    // The reads run in two concurrent rounds; the three secrets of EB's variables add six of them,
    // the read-replica autoscaler six (zone, function, schedule, two roles, log group).
    expect(fake.countCalls()).toBeLessThanOrEqual(32);
  });

  it("never puts a password in a plain property: a platform older than 26 March 2025 gets the rest, and the plan says why", async () => {
    ({ fake } = world({ legacyPlatform: true }));
    const desired = desiredOf();
    const plan = await up(fake, desired);
    const env = envOf(fake);
    const password = JSON.parse(currentValue(fake, "my-app/prod/db-password")).password;
    const props = environmentProperties(env);
    expect(Object.keys(props).sort()).toEqual(
      [
        "NODE_ENV",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "DB_USERNAME",
        "DB_REPLICA_HOSTS",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "JDBC_DATABASE_USERNAME",
      ].sort(),
    );
    expect(JSON.stringify(props)).not.toContain(password);
    expect(environmentProperties(env, EB_NAMESPACES.secrets)).toEqual({});
    expect(plan.refused).toEqual([
      expect.objectContaining({
        kind: "eb-environment",
        field: "secretVariables",
        reason: expect.stringMatching(
          /^DB_PASSWORD, PGPASSWORD, JDBC_DATABASE_PASSWORD, DATABASE_URL, JDBC_DATABASE_URL are not set on EB environment my-app-prod: its platform version was released before 26 March 2025 .* never puts a password in a plain environment property .* Update the environment's platform version/,
        ),
      }),
    ]);
    fake.resetCalls();
    const again = await up(fake, desired);
    expect(again.changes).toEqual([]);
    expect(again.refused).toHaveLength(1);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("admits only the EB instances' own security group with DB_ACCESS_MODE=eb-sg, and attaches nothing", async () => {
    const w = world();
    fake = w.fake;
    const desired = desiredOf({ accessMode: "eb-sg" });
    await up(fake, desired);
    const sgs = [...fake.state.region().ec2.securityGroups.values()];
    const dbSg = sgs.find((g) => g.GroupName === desired.network.dbSecurityGroup)!;
    expect(dbSg.ingress.map((x) => [x.fromPort, x.sourceGroupId, x.cidr])).toEqual([
      [5432, w.env.instanceSecurityGroupId, undefined],
    ]);
    expect(sgs.some((g) => g.GroupName === desired.config.names.clientSecurityGroup)).toBe(false);
    expect(envOf(fake).options.get(`${EB_NAMESPACES.launch}|SecurityGroups`)).toBe(
      w.env.instanceSecurityGroupId,
    );
    fake.resetCalls();
    expect((await up(fake, desired)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("uses the EB environment's DBSubnets when it names them", async () => {
    const w = world({ dbSubnets: true });
    fake = w.fake;
    await up(fake, desiredOf());
    const group = fake.state.region().rds.subnetGroups.get("my-app-prod-db-subnets")!;
    expect([...group.subnetIds].sort()).toEqual([...w.env.privateSubnetIds].sort());
    expect(fake.countCalls({ command: "DescribeSubnets" })).toBe(0);
  });

  it("uses DB_MASTER_PASSWORD when set, and keeps a generated password on later applies", async () => {
    ({ fake } = world());
    await up(fake, desiredOf({ masterPassword: new Secret("Config-Passw0rd-long") }));
    const db = fake.state.region().rds.instances.get("my-app-prod-db")!;
    expect(db.masterPassword).toBe("Config-Passw0rd-long");
    fake.uninstall();

    ({ fake } = world());
    await up(fake, desiredOf());
    const first = fake.state.region().rds.instances.get("my-app-prod-db")!.masterPassword;
    await up(fake, desiredOf({ slowQueryMs: 250 }));
    const secret = [...fake.state.region().secrets.values()][0];
    expect(JSON.parse(secret.versions.find((v) => v.stages.includes("AWSCURRENT"))!.value!).password).toBe(
      first,
    );
    expect(fake.state.region().rds.instances.get("my-app-prod-db")!.masterPassword).toBe(first);
  });

  it("encrypts with the configured KMS key, named by alias, and plans nothing more afterwards", async () => {
    ({ fake } = world());
    const key = fake.seed.kmsKey({ alias: "alias/app-data" });
    const desired = desiredOf({ storage: { kmsKeyId: "alias/app-data" } });
    await up(fake, desired);
    expect(fake.state.region().rds.instances.get("my-app-prod-db")!.kmsKeyArn).toBe(key.arn);
    fake.resetCalls();
    const again = await up(fake, desired);
    expect([again.changes, again.refused]).toEqual([[], []]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("says which environments exist when the configured one does not", async () => {
    ({ fake } = world());
    const { plan } = await planOf(fake, desiredOf({ ebEnvironment: "my-app-staging" })).catch((e) => ({
      plan: e,
    }));
    expect(isEbdbError(plan)).toBe(true);
    expect(plan).toMatchObject({ code: "EB_ENVIRONMENT_NOT_FOUND", fault: "user" });
    expect(plan.message).toContain("my-app-staging");
    expect(plan.hint).toContain("my-app/my-app-prod");
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });
});
