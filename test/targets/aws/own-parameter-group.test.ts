import { CreateDBParameterGroupCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { isEbdbError } from "../../../src/errors.js";
import { RecordingIoHost } from "../../../src/io.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

// DB_PARAMETER_GROUP_NAME (a group of the user's, used as it is), DB_ALARMS_ENABLED=false and
// DB_CLOUDWATCH_LOGS_EXPORTS=none: what `ebdb adopt` writes for a database it did not make.

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const ID = "my-app-prod-db";

describe("a parameter group of the user's, no alarms, no log exports", () => {
  it("is attached as it is, never set or deleted by ebdb; a missing one is refused by the plan", async () => {
    ({ fake } = world());
    const desired = desiredOf({
      parameterGroupName: "team-pg16",
      alarms: false,
      logExports: [],
      deletionProtection: false,
    });

    // The group does not exist yet: refused, and nothing else waits on it.
    const missing = await planOf(fake, desired);
    expect(missing.plan.refused.map((c) => c.reason)).toEqual([
      expect.stringContaining(
        "DB_PARAMETER_GROUP_NAME names parameter group team-pg16, which does not exist",
      ),
    ]);

    await new RDSClient({ region: fake.region }).send(
      new CreateDBParameterGroupCommand({
        DBParameterGroupName: "team-pg16",
        DBParameterGroupFamily: "postgres16",
        Description: "the team's own",
      }),
    );
    const { plan } = await planOf(fake, desired);
    expect(plan.refused).toEqual([]);
    expect(plan.changes.filter((c) => c.kind === "parameter-group")).toEqual([]);
    expect(plan.changes.filter((c) => c.kind === "alarm" || c.kind === "topic")).toEqual([]);
    await up(fake, desired);

    const db = fake.state.region().rds.instances.get(ID)!;
    expect(db.parameterGroupName).toBe("team-pg16");
    expect(fake.calls.filter((c) => c.command === "ModifyDBParameterGroup").map((c) => c.input)).toEqual([]);
    expect(fake.calls.filter((c) => c.command === "PutMetricAlarm")).toEqual([]);
    expect(fake.calls.filter((c) => c.command === "CreateTopic")).toEqual([]);
    const again = await planOf(fake, desired);
    expect([...again.plan.changes, ...again.plan.refused]).toEqual([]);

    // slowlog would change the user's group: refused, saying where to set it.
    const io = new RecordingIoHost();
    const e = await targetOn(fake, io).setSlowQueryMs!(desired, 250, io).catch((x) => x);
    expect(isEbdbError(e) && e.code).toBe("PARAMETER_GROUP_NOT_EBDBS");
    expect(e.hint).toContain("log_min_duration_statement in team-pg16");

    // destroy leaves the user's group.
    await targetOn(fake).destroy(desired, { skipFinalSnapshot: true }, new RecordingIoHost());
    expect(fake.calls.filter((c) => c.command === "DeleteDBParameterGroup")).toEqual([]);
    expect(fake.state.region().rds.parameterGroups.has("team-pg16")).toBe(true);
  });
});
