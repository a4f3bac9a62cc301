import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  paginateDescribeDBSnapshots,
  RestoreDBInstanceFromDBSnapshotCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES } from "./index.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
let subnetGroup: string;
const ID = "my-app-prod-db";
beforeEach(async () => {
  fake = installFakeAws();
  subnetGroup = (await rdsWorld(fake)).subnetGroup;
  await rdsClient().send(
    new CreateDBInstanceCommand({
      ...instanceRequest(subnetGroup),
      CopyTagsToSnapshot: true,
      Tags: [{ Key: "ebdb:app", Value: "my-app" }],
    }),
  );
  fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
});
afterEach(() => fake.uninstall());

describe("RDS snapshots", () => {
  it("takes a manual snapshot: creating, then available; the instance shows backing-up meanwhile", async () => {
    const rds = rdsClient();
    const out = await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: ID, DBSnapshotIdentifier: "before-upgrade" }),
    );
    expect(out.DBSnapshot).toMatchObject({ Status: "creating", SnapshotType: "manual", Encrypted: true });
    expect(out.DBSnapshot?.TagList).toEqual([{ Key: "ebdb:app", Value: "my-app" }]);
    expect(
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ID }))).DBInstances?.[0]
        ?.DBInstanceStatus,
    ).toBe("backing-up");
    await expect(
      rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: ID, DBSnapshotIdentifier: "before-upgrade" }),
      ),
    ).rejects.toMatchObject({
      name: "DBSnapshotAlreadyExistsFault",
    });
    fake.clock.advance(RDS_TIMES.snapshot);
    const got = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: "before-upgrade" }));
    expect(got.DBSnapshots?.[0]?.Status).toBe("available");
    expect(
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ID }))).DBInstances?.[0]
        ?.DBInstanceStatus,
    ).toBe("available");
  });

  it("lists automated and manual snapshots across pages, and filters by type", async () => {
    const rds = rdsClient();
    fake.clock.advance(3 * 86_400_000);
    for (const s of ["m1", "m2"]) {
      await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: ID, DBSnapshotIdentifier: s }));
      fake.clock.advance(RDS_TIMES.snapshot);
    }
    const all: string[] = [];
    for await (const page of paginateDescribeDBSnapshots({ client: rds }, { DBInstanceIdentifier: ID })) {
      all.push(...(page.DBSnapshots ?? []).map((s) => `${s.SnapshotType}:${s.DBSnapshotIdentifier}`));
    }
    expect(all.filter((s) => s.startsWith("automated:rds:my-app-prod-db-"))).toHaveLength(4);
    expect(all.filter((s) => s.startsWith("manual:"))).toEqual(["manual:m1", "manual:m2"]);
    const manual = await rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: ID, SnapshotType: "manual" }),
    );
    expect(manual.DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual(["m1", "m2"]);
  });

  it("deletes manual snapshots only", async () => {
    const rds = rdsClient();
    const auto = (await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: "automated" })))
      .DBSnapshots?.[0];
    await expect(
      rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: auto?.DBSnapshotIdentifier })),
    ).rejects.toMatchObject({
      name: "InvalidDBSnapshotStateFault",
    });
    await expect(
      rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: "nope" })),
    ).rejects.toMatchObject({ name: "DBSnapshotNotFoundFault" });
  });

  it("copies an encrypted snapshot to another region only with a KMS key of that region", async () => {
    const rds = rdsClient();
    const snap = await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: ID, DBSnapshotIdentifier: "s1" }),
    );
    fake.clock.advance(RDS_TIMES.snapshot);
    const west = rdsClient("us-west-2");
    const copy = (over: Record<string, unknown>) =>
      west.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: snap.DBSnapshot?.DBSnapshotArn,
          TargetDBSnapshotIdentifier: "s1-copy",
          ...over,
        }),
      );
    await expect(copy({})).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/KmsKeyId is required/),
    });
    await expect(copy({ KmsKeyId: "alias/missing" })).rejects.toMatchObject({
      name: "KMSKeyNotAccessibleFault",
    });
    const out = await copy({ KmsKeyId: "alias/aws/rds", CopyTags: true });
    expect(out.DBSnapshot).toMatchObject({ Status: "creating", SourceRegion: "us-east-1", Encrypted: true });
    expect(out.DBSnapshot?.KmsKeyId).toMatch(/^arn:aws:kms:us-west-2:/);
    fake.clock.advance(RDS_TIMES.crossRegionCopy);
    expect(fake.state.region("us-west-2").rds.snapshots.get("s1-copy")?.status).toBe("available");
  });

  it("encrypts by copying an unencrypted snapshot with a key, then restores it", async () => {
    const rds = rdsClient();
    await rds.send(
      new CreateDBInstanceCommand({ ...instanceRequest(subnetGroup, "plain"), StorageEncrypted: false }),
    );
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: "plain", DBSnapshotIdentifier: "plain-snap" }),
    );
    await expect(
      rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: "too-early",
          DBSnapshotIdentifier: "plain-snap",
          DBSubnetGroupName: subnetGroup,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidDBSnapshotStateFault" });
    fake.clock.advance(RDS_TIMES.snapshot);
    const copy = await rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: "plain-snap",
        TargetDBSnapshotIdentifier: "enc-snap",
        KmsKeyId: "alias/aws/rds",
      }),
    );
    expect(copy.DBSnapshot?.Encrypted).toBe(true);
    fake.clock.advance(RDS_TIMES.copySnapshot);
    const out = await rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: "enc",
        DBSnapshotIdentifier: "enc-snap",
        DBSubnetGroupName: subnetGroup,
      }),
    );
    expect(out.DBInstance).toMatchObject({
      DBInstanceStatus: "creating",
      StorageEncrypted: true,
      DBInstanceClass: "db.t3.small",
    });
    fake.clock.advance(RDS_TIMES.restore + RDS_TIMES.initialBackup);
    expect(fake.state.region().rds.instances.get("enc")?.status).toBe("available");
  });
});
