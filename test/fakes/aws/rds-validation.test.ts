import { CreateDBInstanceCommand, ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES } from "./index.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
let subnetGroup: string;
beforeEach(async () => {
  fake = installFakeAws();
  subnetGroup = (await rdsWorld(fake)).subnetGroup;
});
afterEach(() => fake.uninstall());

const create = (over: Record<string, unknown>) =>
  rdsClient().send(new CreateDBInstanceCommand({ ...instanceRequest(subnetGroup), ...over }));

describe("RDS validation on CreateDBInstance", () => {
  it.each([
    ["too short", "Short1!", "InvalidParameterValue", /shorter than 8/],
    [
      "a slash",
      "abcd/efgh1",
      "InvalidParameterValue",
      /Only printable ASCII characters besides '\/', '@', '"', ' '/,
    ],
    ["an at sign", "abcd@efgh1", "InvalidParameterValue", /Only printable ASCII/],
    ["a double quote", 'abcd"efgh1', "InvalidParameterValue", /Only printable ASCII/],
    ["a space", "abcd efgh1", "InvalidParameterValue", /Only printable ASCII/],
    ["non-ASCII", "abcdéfgh12", "InvalidParameterValue", /Only printable ASCII/],
    ["129 characters", "a".repeat(129), "InvalidParameterValue", /longer than 128/],
  ])("refuses a PostgreSQL password with %s", async (_label, password, name, message) => {
    await expect(create({ MasterUserPassword: password })).rejects.toMatchObject({
      name,
      message: expect.stringMatching(message),
    });
  });

  it("allows 128 characters for PostgreSQL but only 41 for MySQL and MariaDB", async () => {
    await expect(
      create({ DBInstanceIdentifier: "pg", MasterUserPassword: "a".repeat(128) }),
    ).resolves.toBeDefined();
    for (const engine of ["mysql", "mariadb"]) {
      await expect(
        create({
          DBInstanceIdentifier: `${engine}-a`,
          Engine: engine,
          EngineVersion: undefined,
          MasterUserPassword: "a".repeat(42),
        }),
      ).rejects.toMatchObject({
        name: "InvalidParameterValue",
        message: expect.stringMatching(/longer than 41/),
      });
      await expect(
        create({
          DBInstanceIdentifier: `${engine}-b`,
          Engine: engine,
          EngineVersion: undefined,
          MasterUserPassword: "a".repeat(41),
        }),
      ).resolves.toBeDefined();
    }
  });

  it("never echoes a password in an error", async () => {
    const err = await create({ MasterUserPassword: "secret/with-slash" }).then(
      () => new Error("accepted"),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/MasterUserPassword/);
    expect(err.message).not.toContain("secret/with-slash");
  });

  it.each([
    ["starts with a digit", "1db"],
    ["ends with a hyphen", "db-"],
    ["has two hyphens", "my--db"],
    ["has an underscore", "my_db"],
    ["is 64 characters", `d${"b".repeat(63)}`],
  ])("refuses an identifier that %s", async (_label, id) => {
    await expect(create({ DBInstanceIdentifier: id })).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/not a valid identifier/),
    });
  });

  it("refuses a second instance of the same identifier (case-insensitive)", async () => {
    await create({});
    await expect(create({ DBInstanceIdentifier: "My-App-Prod-DB" })).rejects.toMatchObject({
      name: "DBInstanceAlreadyExistsFault",
      message: "DB instance already exists",
    });
  });

  it.each([
    [{ StorageType: "gp3", AllocatedStorage: 19 }, /Invalid storage size/],
    [{ StorageType: "gp2", AllocatedStorage: 65537 }, /Invalid storage size/],
    [{ StorageType: "io1", AllocatedStorage: 50, Iops: 1000 }, /Invalid storage size/],
    [{ StorageType: "gp3", AllocatedStorage: 100, Iops: 12000 }, /less than 400/],
    [{ StorageType: "gp3", AllocatedStorage: 400, Iops: 11000 }, /Invalid iops/],
    [{ StorageType: "gp3", AllocatedStorage: 400, Iops: 12000, StorageThroughput: 4000 }, /ratio/],
    [{ StorageType: "gp3", AllocatedStorage: 400, StorageThroughput: 400 }, /Invalid storage throughput/],
    [{ StorageType: "io1", AllocatedStorage: 100 }, /must specify iops/],
    [{ StorageType: "io1", AllocatedStorage: 100, Iops: 6000 }, /ratio/],
    [{ StorageType: "gp2", AllocatedStorage: 100, Iops: 3000 }, /IOPS or storage throughput/],
    [{ AllocatedStorage: 100, MaxAllocatedStorage: 109 }, /at least 10%/],
  ])("refuses storage %o", async (over, message) => {
    await expect(create(over)).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: expect.stringMatching(message),
    });
  });

  it("accepts gp3 IOPS and throughput from 400 GiB, and a maximum of 110%", async () => {
    await expect(
      create({
        StorageType: "gp3",
        AllocatedStorage: 400,
        Iops: 12000,
        StorageThroughput: 500,
        MaxAllocatedStorage: 440,
      }),
    ).resolves.toMatchObject({
      DBInstance: { Iops: 12000, StorageThroughput: 500, MaxAllocatedStorage: 440 },
    });
  });

  it("needs an existing KMS key in the region, and encryption on to name one", async () => {
    await expect(create({ KmsKeyId: "alias/nope" })).rejects.toMatchObject({
      name: "KMSKeyNotAccessibleFault",
    });
    const key = fake.seed.kmsKey({ region: "eu-west-1", alias: "alias/elsewhere" });
    await expect(create({ KmsKeyId: key.arn })).rejects.toMatchObject({ name: "KMSKeyNotAccessibleFault" });
    await expect(create({ KmsKeyId: "alias/aws/rds", StorageEncrypted: false })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    const mine = fake.seed.kmsKey({ alias: "alias/mine" });
    await expect(create({ KmsKeyId: "alias/mine" })).resolves.toMatchObject({
      DBInstance: { KmsKeyId: mine.arn },
    });
  });

  it("refuses unknown engines, versions and classes, a missing subnet group, and log types of another engine", async () => {
    await expect(create({ Engine: "oracle" })).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(create({ EngineVersion: "9.6" })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: "Cannot find version 9.6 for postgres",
    });
    await expect(create({ DBInstanceClass: "db.x9.huge" })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    await expect(create({ DBSubnetGroupName: "nope" })).rejects.toMatchObject({
      name: "DBSubnetGroupNotFoundFault",
    });
    await expect(create({ EnableCloudwatchLogsExports: ["slowquery"] })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    await expect(
      create({ PreferredBackupWindow: "05:00-05:30", PreferredMaintenanceWindow: "sun:05:10-sun:05:40" }),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: "The backup window and maintenance window must not overlap.",
    });
  });

  it("takes a major version alone and resolves it to the latest minor", async () => {
    const out = await create({ EngineVersion: "16" });
    expect(out.DBInstance?.EngineVersion).toBe("16.9");
  });
});

describe("RDS validation on ModifyDBInstance", () => {
  it("keeps maximum storage at least 110% of allocated; setting it to the allocated size turns autoscaling off", async () => {
    await create({ AllocatedStorage: 100, MaxAllocatedStorage: 200 });
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    const rds = rdsClient();
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db", MaxAllocatedStorage: 105 }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    const out = await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db", MaxAllocatedStorage: 100 }),
    );
    expect(out.DBInstance?.MaxAllocatedStorage).toBeUndefined();
  });

  it("refuses an engine downgrade and a major upgrade without AllowMajorVersionUpgrade", async () => {
    await create({});
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    const rds = rdsClient();
    const modify = (v: string, allow?: boolean) =>
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: "my-app-prod-db",
          EngineVersion: v,
          AllowMajorVersionUpgrade: allow,
        }),
      );
    await expect(modify("16.6")).rejects.toMatchObject({
      message: "Cannot upgrade postgres from 16.8 to 16.6",
    });
    await expect(modify("17.4")).rejects.toMatchObject({
      message: expect.stringMatching(/AllowMajorVersionUpgrade/),
    });
    await expect(modify("17.4", true)).resolves.toMatchObject({
      DBInstance: { PendingModifiedValues: { EngineVersion: "17.4" } },
    });
  });
});
