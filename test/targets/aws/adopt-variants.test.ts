import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElasticBeanstalkClient, UpdateEnvironmentCommand } from "@aws-sdk/client-elastic-beanstalk";
import { ModifyDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { requireConfig } from "../../../src/config/load.js";
import { parseEnv } from "../../../src/config/parse.js";
import { resolveConfig } from "../../../src/config/resolve.js";
import { isEbdbError } from "../../../src/errors.js";
import { deriveDesired } from "../../../src/model/desired.js";
import { appDatabases } from "../../fakes/aws/eb-app-db.js";
import { settle } from "../../fakes/aws/eb-coupled-seed.js";
import { isSimulatedCrash } from "../../fakes/aws/errors.js";
import { EB_NAMESPACES, type FakeAws } from "../../fakes/aws/index.js";
import { type ByHand, brief, byHand, onlyEbdbsWiring, planIn } from "./by-hand-world.js";
import { ctxIn } from "./coupled-world.js";
import { desiredOf, up, world } from "./harness.js";

// `ebdb adopt` on databases of every kind: config.env must describe each so that `plan` changes
// none of its settings (and refuses nothing), and adopt must change nothing but tags.

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-adopt-variants-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** byHand in this file's folder, its fake the one the cases clean up. */
async function hand(id: string, o: ByHand): Promise<string> {
  const made = await byHand(dir, id, o);
  fake = made.fake;
  return made.cwd;
}

async function folder(name: string): Promise<string> {
  const cwd = join(dir, name);
  await mkdir(cwd, { recursive: true });
  return cwd;
}

const BY_HAND: [string, ByHand, (text: string, r: Awaited<ReturnType<typeof adopt>>) => void][] = [
  [
    "pg-gp3-provisioned",
    {
      // gp3 from 400 GiB with IOPS and throughput above the baseline, encrypted with the team's key
      // (its alias), Multi-AZ, Performance
      // Insights for 2 years, one log type exported, storage autoscaling, and the team's own group.
      instance: {
        StorageType: "gp3",
        AllocatedStorage: 400,
        Iops: 12000,
        StorageThroughput: 500,
        StorageEncrypted: true,
        MultiAZ: true,
        EnablePerformanceInsights: true,
        PerformanceInsightsRetentionPeriod: 731,
        PerformanceInsightsKMSKeyId: "alias/team-db",
        EnableCloudwatchLogsExports: ["postgresql"],
        MaxAllocatedStorage: 1000,
        DeletionProtection: true,
      },
      group: { family: "postgres16", params: { log_min_duration_statement: "500", "rds.force_ssl": "1" } },
      kmsAlias: "alias/team-db",
    },
    (text) => {
      for (const line of [
        'DB_IOPS="12000"',
        'DB_STORAGE_THROUGHPUT="500"',
        'DB_PERFORMANCE_INSIGHTS_RETENTION="731"',
        'DB_CLOUDWATCH_LOGS_EXPORTS="postgresql"',
        'DB_PARAMETER_GROUP_NAME="pg-gp3-provisioned-team"',
        'DB_NAME="postgres"',
      ])
        expect(text).toContain(line);
      expect(text).toMatch(/^DB_KMS_KEY_ID="arn:aws:kms:us-east-1:\d{12}:key\//m);
    },
  ],
  [
    "mysql-io1-small",
    {
      // MySQL on a class without Performance Insights (RDS has none for MySQL on db.t3.small), io1,
      // a replica of a larger class.
      instance: {
        Engine: "mysql",
        EngineVersion: "8.0.39",
        StorageType: "io1",
        AllocatedStorage: 100,
        Iops: 3000,
        DBName: "shop",
      },
      replicas: [{ name: "mysql-io1-small-r", instanceClass: "db.t3.medium" }],
    },
    (text, r) => {
      expect(text).toContain('DB_READ_REPLICA_INSTANCE_CLASS="db.t3.medium"');
      // Every production default the instance misses is listed with what taking it changes, although
      // Performance Insights (which the class cannot have) is not among them.
      const keys = r.differences.map((d) => d.key);
      expect(keys).toEqual(expect.arrayContaining(["DB_MULTI_AZ", "DB_STORAGE_ENCRYPTED"]));
      expect(keys).not.toContain("DB_PERFORMANCE_INSIGHTS_ENABLED");
      expect(r.differences.find((d) => d.key === "DB_MULTI_AZ")!.changes[0]).toMatchObject({
        field: "multiAz",
        to: true,
      });
    },
  ],
  [
    "pg-bastion",
    {
      // The database's own group also admits a bastion and the office VPN: ebdb leaves what it did not
      // add; a replica made by hand under the name ebdb gives its second replica keeps that index.
      instance: { DeletionProtection: true },
      bastion: true,
      replicas: [{ name: "pg-bastion-replica-2" }],
    },
    (text) => {
      expect(text).toContain('DB_ACCESS_MODE="eb-sg"');
      expect(text).toContain('DB_READ_REPLICA_COUNT="1"');
    },
  ],
  [
    "maria-no-dbname",
    {
      // MariaDB on port 3307 made without DBName, and nothing in the environment naming a database.
      instance: { Engine: "mariadb", EngineVersion: "10.11.10", AllocatedStorage: 50, Port: 3307 },
    },
    (text) => {
      expect(text).toContain('DB_PORT="3307"');
      expect(text).toMatch(
        /# DB_NAME: the instance has no DBName and no EB property names its database.*\n# DB_NAME=""/,
      );
    },
  ],
  [
    "mysql-no-dbname",
    {
      // Made without DBName; the application's DB_NAME property names its database, and its
      // DATABASE_URL the endpoint (DB_HOST empty).
      instance: { Engine: "mysql", EngineVersion: "8.0.39", DBInstanceClass: "db.t3.medium" },
      props: { DB_NAME: "orders", DB_HOST: "", DATABASE_URL: "mysql://owner:x@HOST:3306/orders" },
    },
    (text) => {
      expect(text).toContain("(its property DATABASE_URL names the endpoint)");
      expect(text).toMatch(
        /# DB_NAME: the instance has no DBName: EB environment property DB_NAME\.\nDB_NAME="orders"/,
      );
    },
  ],
];

describe("ebdb adopt: databases of every kind (AWS fake)", () => {
  for (const [id, spec, check] of BY_HAND) {
    it(`made by hand: ${id}`, async () => {
      const cwd = await hand(id, spec);
      const mutating = fake.countCalls({ mutating: true });
      const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
      expect(
        new Set(
          fake.calls
            .filter((c) => c.mutating)
            .slice(mutating)
            .map((c) => c.command),
        ),
      ).toEqual(new Set(["AddTagsToResource"]));
      const text = await readFile(join(cwd, "config.env"), "utf8");
      check(text, r);
      // Nothing to warn about either: the file describes the instance as it is.
      const file = join(cwd, "config.env");
      expect(resolveConfig(file, parseEnv(Buffer.from(text), {}).entries).problems).toEqual([]);
      const plan = await planIn(fake, cwd);
      expect(brief(plan.refused)).toEqual([]);
      expect(brief(onlyEbdbsWiring(plan.changes))).toEqual([]);
      const again = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
      expect([again.config, again.tagged]).toEqual(["unchanged", []]);
    });
  }

  it("after an earlier `up` (its own APP_NAME and ENV_NAME, autoscaled replicas of another class, RDS Proxy, client security group, own parameter group): nothing to plan", async () => {
    ({ fake } = world());
    const desired = desiredOf({
      // Names of its own beside EB's: ebdb's secret and tags follow APP_NAME and ENV_NAME.
      appName: "shop",
      envName: "live",
      identifier: "shop-db",
      ebApplication: "my-app",
      ebEnvironment: "my-app-prod",
      dbName: "orders",
      instanceClass: "db.t3.medium",
      slowQueryMs: 250,
      rdsProxy: true,
      replicas: {
        enabled: true,
        count: 2,
        min: 2,
        max: 4,
        targetCpu: 60,
        scaleInCooldownSeconds: 600,
        scaleOutCooldownSeconds: 120,
        maxLagSeconds: 30,
        instanceClass: "db.t3.large",
      },
    });
    await up(fake, desired, { applyImmediately: true });
    fake.clock.advance(60 * 60_000);
    const cwd = await folder("after-up");
    const r = await adopt(ctxIn(cwd), { identifier: desired.identifier, clock: fake.clock });
    expect(r.differences).toEqual([]);
    expect(r.tagged).not.toContain("shop-db");
    const plan = await planIn(fake, cwd);
    expect(brief(plan.changes)).toEqual([]);
    expect(brief(plan.refused)).toEqual([]);
    const config = await requireConfig(ctxIn(cwd));
    expect(config.replicas).toEqual(desired.config.replicas);
    expect([config.rdsProxy, config.accessMode, config.slowQueryMs]).toEqual([true, "client-sg", 250]);
    expect([config.appName, config.envName, config.names.secret]).toEqual([
      "shop",
      "live",
      "shop/live/db-password",
    ]);
  });

  it("already partly adopted (an adopt interrupted after its first tag): the next run finishes it, the plan is the same", async () => {
    const cwd = await hand("part-db", {
      instance: { DeletionProtection: true },
      replicas: [{ name: "part-r-a" }, { name: "part-r-b" }],
    });
    fake.faults.crashAfter(1);
    const crashed = await adopt(ctxIn(cwd), { identifier: "part-db", clock: fake.clock }).catch(
      (x: unknown) => x,
    );
    expect(isSimulatedCrash(crashed)).toBe(true);
    fake.faults.reset();
    const r = await adopt(ctxIn(cwd), { identifier: "part-db", clock: fake.clock });
    expect([r.config, r.tagged]).toEqual(["unchanged", ["part-r-a", "part-r-b"]]);
    const tags = (name: string) => fake.state.region().rds.instances.get(name)!.tags;
    expect(tags("part-r-b")).toContainEqual({ Key: "ebdb:replica-index", Value: "2" });
    const plan = await planIn(fake, cwd);
    expect([brief(onlyEbdbsWiring(plan.changes)), brief(plan.refused)]).toEqual([[], []]);
  });

  it("a database no EB environment uses: adopt finishes and says what to set; with it set, the plan has only ebdb's wiring", async () => {
    const cwd = await hand("lone-db", { instance: { DeletionProtection: true } });
    await new ElasticBeanstalkClient({ region: "us-east-1" }).send(
      new UpdateEnvironmentCommand({
        EnvironmentName: "my-app-prod",
        OptionsToRemove: [{ Namespace: EB_NAMESPACES.env, OptionName: "DB_HOST" }],
      }),
    );
    await settle(fake, "us-east-1", "my-app-prod");
    const r = await adopt(ctxIn(cwd), { identifier: "lone-db", clock: fake.clock });
    expect(r.environment).toBeNull();
    expect(r.differences.map((d) => d.key)).toContain("DB_MULTI_AZ");
    expect(r.notes[0]).toContain("No Elastic Beanstalk environment in us-east-1 uses lone-db");
    expect(r.notes[0]).toContain("set EB_APPLICATION_NAME and EB_ENVIRONMENT_NAME in config.env");
    const file = join(cwd, "config.env");
    await writeFile(
      file,
      `${await readFile(file, "utf8")}EB_APPLICATION_NAME="my-app"\nEB_ENVIRONMENT_NAME="my-app-prod"\n`,
    );
    // Not knowing the environment, adopt left DB_ACCESS_MODE at its default: a client group of ebdb's.
    const plan = await planIn(fake, cwd);
    expect([brief(onlyEbdbsWiring(plan.changes)), brief(plan.refused)]).toEqual([
      ["security-group lone-db-client-sg create ", "eb-environment my-app-prod update securityGroups"],
      [],
    ]);
  });

  it("an engine ebdb does not manage: a user error before anything is written or tagged", async () => {
    const cwd = await hand("sql-db", { instance: { DeletionProtection: true } });
    // The fake makes only the engines ebdb runs: this one is turned into SQL Server in its state.
    fake.state.region().rds.instances.get("sql-db")!.engine = "sqlserver-ex";
    const n = fake.countCalls({ mutating: true });
    const e = await adopt(ctxIn(cwd), { identifier: "sql-db", clock: fake.clock }).catch((x: unknown) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["ADOPT_ENGINE", 2]);
    expect((e as Error).message).toContain("sql-db runs sqlserver-ex");
    expect(fake.countCalls({ mutating: true })).toBe(n);
    await expect(readFile(join(cwd, "config.env"), "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("storage autoscaling grown to its limit: config.env holds the least limit RDS accepts, and says so", async () => {
    const cwd = await hand("full-db", {
      instance: { DeletionProtection: true, AllocatedStorage: 100, MaxAllocatedStorage: 120 },
    });
    // What storage autoscaling does over time (the fake does not grow volumes by itself).
    fake.state.region().rds.instances.get("full-db")!.allocatedStorage = 118;
    const r = await adopt(ctxIn(cwd), { identifier: "full-db", clock: fake.clock });
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_MAX_ALLOCATED_STORAGE="130"');
    expect(r.notes.join(" ")).toContain("against its limit of 120 GiB (MaxAllocatedStorage)");
    const plan = await planIn(fake, cwd);
    expect(brief(plan.refused)).toEqual([]);
    expect(brief(onlyEbdbsWiring(plan.changes))).toEqual(["instance full-db update storage.maxAllocatedGiB"]);
  });

  it("magnetic storage, or RDS's `default` subnet group: a user error before anything is written or tagged", async () => {
    const cwd = await hand("old-db", { instance: { DeletionProtection: true } });
    const r = fake.state.region();
    const inst = r.rds.instances.get("old-db")!;
    for (const [code, change] of [
      ["ADOPT_STORAGE", () => (inst.storageType = "standard")],
      [
        "ADOPT_SUBNET_GROUP",
        () => {
          inst.storageType = "gp2";
          r.rds.subnetGroups.set("default", {
            ...r.rds.subnetGroups.get(inst.subnetGroupName)!,
            name: "default",
          });
          inst.subnetGroupName = "default";
        },
      ],
    ] as const) {
      change();
      const n = fake.countCalls({ mutating: true });
      const e = await adopt(ctxIn(cwd), { identifier: "old-db", clock: fake.clock }).catch((x: unknown) => x);
      expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual([code, 2]);
      expect(fake.countCalls({ mutating: true })).toBe(n);
    }
    await expect(readFile(join(cwd, "config.env"), "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("an identifier given in capitals: RDS's own lower-case one", async () => {
    const cwd = await hand("case-db", { instance: { DeletionProtection: true } });
    const r = await adopt(ctxIn(cwd), { identifier: "Case-DB", clock: fake.clock });
    expect(r.identifier).toBe("case-db");
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_INSTANCE_IDENTIFIER="case-db"');
  });

  it("after an earlier `up` of MySQL with slow statements from 250 ms (long_query_time): nothing to plan", async () => {
    ({ fake } = world());
    const desired = desiredOf({
      engine: "mysql",
      engineVersion: "8.0.39",
      instanceClass: "db.t3.medium",
      slowQueryMs: 250,
    });
    await up(fake, desired, { applyImmediately: true });
    fake.clock.advance(60 * 60_000);
    const cwd = await folder("after-up-mysql");
    await adopt(ctxIn(cwd), { identifier: desired.identifier, clock: fake.clock });
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain('DB_SLOW_QUERY_MS="250"');
    const plan = await planIn(fake, cwd);
    expect([brief(plan.changes), brief(plan.refused)]).toEqual([[], []]);
  });
});

describe("ebdb adopt: a master password RDS manages (ManageMasterUserPassword)", () => {
  it("plan refuses to set a password RDS would refuse; with DB_MASTER_PASSWORD up hands the password to ebdb", async () => {
    const id = "managed-pw";
    const cwd = await hand(id, {
      instance: { ManageMasterUserPassword: true, MasterUserPassword: undefined, DeletionProtection: true },
    });
    const r = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    const text = await readFile(join(cwd, "config.env"), "utf8");
    expect(text).toMatch(
      /DB_MASTER_PASSWORD: never written here: RDS keeps it in arn:aws:secretsmanager:.*rds!db-/,
    );
    expect(r.notes.join(" ")).not.toContain("sets a new master password");
    const plan = await planIn(fake, cwd);
    expect(brief(plan.refused)).toEqual(["secret my-app/prod/db-password create "]);
    expect(plan.refused[0].reason).toContain("RDS manages the master password");
    // up: the password step refuses too (a user error, before any password is set).
    const e = await up(fake, deriveDesired(await requireConfig(ctxIn(cwd)), "aws")).catch((x: unknown) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["RDS_MANAGES_PASSWORD", 2]);
    expect(fake.calls.filter((c) => c.command === "ModifyDBInstance" && c.input.MasterUserPassword)).toEqual(
      [],
    );

    // As RDS: no MasterUserPassword while it manages the password.
    const direct = await new RDSClient({ region: "us-east-1" })
      .send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, MasterUserPassword: "Another-pa55" }))
      .catch((x: Error) => x.name);
    expect(direct).toBe("InvalidParameterCombination");

    // DB_MASTER_PASSWORD given: up sets it with RDS's management off, and the application reaches the
    // instance with it; emptied again, the plan has nothing left to do to the instance or the secret.
    const file = join(cwd, "config.env");
    await writeFile(file, text.replace(/^DB_MASTER_PASSWORD=.*$/m, "DB_MASTER_PASSWORD='Handed-0ver-pw'"));
    const handed = await planIn(fake, cwd);
    expect(handed.refused).toEqual([]);
    expect(handed.changes.find((c) => c.kind === "secret")!.reason).toContain("turning off RDS's management");
    await up(fake, deriveDesired(await requireConfig(ctxIn(cwd)), "aws"), { applyImmediately: true });
    const modify = fake.calls.filter(
      (c) => c.command === "ModifyDBInstance" && c.input.MasterUserPassword && !c.error,
    );
    expect(modify.map((c) => c.input.ManageMasterUserPassword)).toEqual([false]);
    const inst = fake.state.region().rds.instances.get(id)!;
    expect([inst.masterUserSecretArn, inst.masterPassword]).toEqual([undefined, "Handed-0ver-pw"]);
    fake.clock.advance(30 * 60_000);
    for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
      expect(v, family).toEqual({ instance: id, problems: [] });
    await writeFile(file, text);
    const after = await planIn(fake, cwd);
    expect([brief(after.changes), brief(after.refused)]).toEqual([[], []]);
  });
});
