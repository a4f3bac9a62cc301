import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  DeleteDBParameterGroupCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBParameterGroupCommand,
  paginateDescribeDBParameters,
  RemoveTagsFromResourceCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES, type SeededEnvironment } from "./index.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
let env: SeededEnvironment & { subnetGroup: string };
beforeEach(async () => {
  fake = installFakeAws();
  env = await rdsWorld(fake);
});
afterEach(() => fake.uninstall());

const PG = "my-app-prod-postgres16";

describe("DB parameter groups", () => {
  it("creates a group once, lists its parameters across pages, shows user values", async () => {
    const rds = rdsClient();
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: PG,
        DBParameterGroupFamily: "postgres16",
        Description: "ebdb",
      }),
    );
    await expect(
      rds.send(
        new CreateDBParameterGroupCommand({
          DBParameterGroupName: PG,
          DBParameterGroupFamily: "postgres16",
          Description: "ebdb",
        }),
      ),
    ).rejects.toMatchObject({ name: "DBParameterGroupAlreadyExistsFault" });
    await expect(
      rds.send(
        new CreateDBParameterGroupCommand({
          DBParameterGroupName: "x",
          DBParameterGroupFamily: "postgres9",
          Description: "x",
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: PG,
        Parameters: [
          { ParameterName: "log_min_duration_statement", ParameterValue: "500", ApplyMethod: "immediate" },
          {
            ParameterName: "shared_preload_libraries",
            ParameterValue: "pg_stat_statements",
            ApplyMethod: "pending-reboot",
          },
        ],
      }),
    );
    const params: Record<string, string | undefined> = {};
    let pages = 0;
    for await (const page of paginateDescribeDBParameters({ client: rds }, { DBParameterGroupName: PG })) {
      pages++;
      for (const p of page.Parameters ?? []) params[p.ParameterName ?? ""] = p.ParameterValue;
    }
    expect(pages).toBeGreaterThan(3);
    expect(params.log_min_duration_statement).toBe("500");
    expect(params["rds.force_ssl"]).toBe("1");
    const user = await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: PG }));
    expect(user.DBParameterGroups?.[0]?.DBParameterGroupFamily).toBe("postgres16");
  });

  it("refuses immediate for a static parameter, values out of range, unknown names, and default groups", async () => {
    const rds = rdsClient();
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: PG,
        DBParameterGroupFamily: "postgres16",
        Description: "ebdb",
      }),
    );
    const modify = (
      ParameterName: string,
      ParameterValue: string,
      ApplyMethod: "immediate" | "pending-reboot",
      group = PG,
    ) =>
      rds.send(
        new ModifyDBParameterGroupCommand({
          DBParameterGroupName: group,
          Parameters: [{ ParameterName, ParameterValue, ApplyMethod }],
        }),
      );
    await expect(modify("shared_preload_libraries", "pg_stat_statements", "immediate")).rejects.toMatchObject(
      {
        name: "InvalidParameterCombination",
        message: "cannot use immediate apply method for static parameter shared_preload_libraries",
      },
    );
    await expect(modify("rds.force_ssl", "2", "immediate")).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
    await expect(
      modify("shared_preload_libraries", "pg_stat_statements,nope", "pending-reboot"),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(modify("no_such_param", "1", "immediate")).rejects.toMatchObject({
      message: "Could not find parameter with name: no_such_param",
    });
    await expect(modify("rds.force_ssl", "1", "immediate", "default.postgres16")).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
  });

  it("marks member instances pending-reboot for a static change, applying for a dynamic one", async () => {
    const rds = rdsClient();
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: PG,
        DBParameterGroupFamily: "postgres16",
        Description: "ebdb",
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({ ...instanceRequest(env.subnetGroup), DBParameterGroupName: PG }),
    );
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    const applyStatus = async () =>
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "my-app-prod-db" })))
        .DBInstances?.[0]?.DBParameterGroups?.[0]?.ParameterApplyStatus;
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: PG,
        Parameters: [
          { ParameterName: "log_min_duration_statement", ParameterValue: "250", ApplyMethod: "immediate" },
        ],
      }),
    );
    expect(await applyStatus()).toBe("applying");
    fake.clock.advance(RDS_TIMES.paramApply);
    expect(await applyStatus()).toBe("in-sync");
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: PG,
        Parameters: [
          { ParameterName: "rds.logical_replication", ParameterValue: "1", ApplyMethod: "pending-reboot" },
        ],
      }),
    );
    expect(await applyStatus()).toBe("pending-reboot");
    await expect(
      rds.send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: PG })),
    ).rejects.toMatchObject({
      name: "InvalidDBParameterGroupStateFault",
    });
  });

  it("takes hot_standby_feedback as a dynamic boolean (PostgreSQL context sighup), applied without a reboot", async () => {
    const rds = rdsClient();
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: PG,
        DBParameterGroupFamily: "postgres16",
        Description: "ebdb",
      }),
    );
    const set = (ParameterValue: string) =>
      rds.send(
        new ModifyDBParameterGroupCommand({
          DBParameterGroupName: PG,
          Parameters: [{ ParameterName: "hot_standby_feedback", ParameterValue, ApplyMethod: "immediate" }],
        }),
      );
    await expect(set("on")).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await set("1");
    const params = [];
    for await (const page of paginateDescribeDBParameters({ client: rds }, { DBParameterGroupName: PG }))
      params.push(...(page.Parameters ?? []));
    expect(params.find((x) => x.ParameterName === "hot_standby_feedback")).toMatchObject({
      ParameterValue: "1",
      ApplyType: "dynamic",
      DataType: "boolean",
      AllowedValues: "0,1",
      IsModifiable: true,
      Source: "user",
    });
  });

  it("refuses a parameter group of another family on an instance", async () => {
    const rds = rdsClient();
    await rds.send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: "pg15",
        DBParameterGroupFamily: "postgres15",
        Description: "x",
      }),
    );
    await expect(
      rds.send(
        new CreateDBInstanceCommand({ ...instanceRequest(env.subnetGroup), DBParameterGroupName: "pg15" }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: expect.stringMatching(/Use a parameter group with DBParameterGroupFamily postgres16/),
    });
  });
});

describe("DB subnet groups", () => {
  it("needs subnets in at least two AZs", async () => {
    await expect(
      rdsClient().send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: "one-az",
          DBSubnetGroupDescription: "x",
          SubnetIds: [env.privateSubnetIds[0]],
        }),
      ),
    ).rejects.toMatchObject({
      name: "DBSubnetGroupDoesNotCoverEnoughAZs",
      message: expect.stringMatching(/Current AZ coverage: us-east-1a/),
    });
    await expect(
      rdsClient().send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: "bad",
          DBSubnetGroupDescription: "x",
          SubnetIds: ["subnet-nope", env.privateSubnetIds[0]],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidSubnet" });
  });

  it("describes, refuses a duplicate, and refuses deletion while an instance uses it", async () => {
    const rds = rdsClient();
    const got = await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: env.subnetGroup }));
    expect(got.DBSubnetGroups?.[0]?.VpcId).toBe(env.vpcId);
    expect(got.DBSubnetGroups?.[0]?.Subnets?.map((s) => s.SubnetIdentifier)).toEqual(env.privateSubnetIds);
    await expect(
      rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: env.subnetGroup,
          DBSubnetGroupDescription: "x",
          SubnetIds: env.privateSubnetIds,
        }),
      ),
    ).rejects.toMatchObject({ name: "DBSubnetGroupAlreadyExistsFault" });
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    await expect(
      rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: env.subnetGroup })),
    ).rejects.toMatchObject({
      name: "InvalidDBSubnetGroupStateFault",
    });
    await expect(
      rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: "nope" })),
    ).rejects.toMatchObject({ name: "DBSubnetGroupNotFoundFault" });
  });
});

describe("RDS tags and catalog", () => {
  it("adds, lists and removes tags by ARN", async () => {
    const rds = rdsClient();
    const { DBInstance } = await rds.send(
      new CreateDBInstanceCommand({
        ...instanceRequest(env.subnetGroup),
        Tags: [{ Key: "ebdb:app", Value: "my-app" }],
      }),
    );
    const arn = DBInstance?.DBInstanceArn;
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: "ebdb:managed", Value: "true" },
          { Key: "ebdb:app", Value: "x" },
        ],
      }),
    );
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ["ebdb:managed"] }));
    expect((await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList).toEqual([
      { Key: "ebdb:app", Value: "x" },
    ]);
    await expect(
      rds.send(
        new ListTagsForResourceCommand({ ResourceName: "arn:aws:rds:us-east-1:123456789012:db:nope" }),
      ),
    ).rejects.toMatchObject({
      name: "DBInstanceNotFoundFault",
    });
  });

  it("lists engine versions with their parameter-group family", async () => {
    const out = await rdsClient().send(
      new DescribeDBEngineVersionsCommand({ Engine: "postgres", EngineVersion: "16.8" }),
    );
    expect(out.DBEngineVersions?.[0]).toMatchObject({
      Engine: "postgres",
      EngineVersion: "16.8",
      DBParameterGroupFamily: "postgres16",
    });
  });
});
