import {
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws } from "./index.js";
import { STOP_TIMES } from "./rds-stop-start.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";
import { CreateDBInstanceCommand } from "@aws-sdk/client-rds";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const status = async (id: string) =>
  (await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]
    ?.DBInstanceStatus;

describe("StopDBInstance / StartDBInstance", () => {
  it("stops an available instance, starts it again, and RDS starts it by itself after 7 days", async () => {
    fake = installFakeAws();
    const { subnetGroup } = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(subnetGroup)));
    await expect(
      rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db" })),
    ).rejects.toMatchObject({
      name: "InvalidDBInstanceStateFault",
    });
    await fake.clock.sleep(20 * 60_000);
    await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    expect(await status("my-app-prod-db")).toBe("stopping");
    await fake.clock.sleep(STOP_TIMES.stop);
    expect(await status("my-app-prod-db")).toBe("stopped");
    await rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    expect(await status("my-app-prod-db")).toBe("starting");
    await expect(
      rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db" })),
    ).rejects.toMatchObject({
      name: "InvalidDBInstanceStateFault",
    });
    await fake.clock.sleep(STOP_TIMES.start);
    expect(await status("my-app-prod-db")).toBe("available");

    await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db" }));
    await fake.clock.sleep(STOP_TIMES.stop + STOP_TIMES.autoStart + STOP_TIMES.start);
    expect(await status("my-app-prod-db")).toBe("available");
  });

  it("refuses to stop a read replica or an instance that has one", async () => {
    fake = installFakeAws();
    const { subnetGroup } = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new CreateDBInstanceCommand(instanceRequest(subnetGroup)));
    await fake.clock.sleep(20 * 60_000);
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: "my-app-prod-db-replica-1",
        SourceDBInstanceIdentifier: "my-app-prod-db",
      }),
    );
    await fake.clock.sleep(20 * 60_000);
    for (const id of ["my-app-prod-db", "my-app-prod-db-replica-1"])
      await expect(rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: id }))).rejects.toMatchObject({
        name: "InvalidDBInstanceStateFault",
        message: expect.stringMatching(/read replica/),
      });
  });
});
