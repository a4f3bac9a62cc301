import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { explainPlan } from "../../../src/plan/explain.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { RDS_TIMES } from "../../fakes/aws/index.js";
import { desiredOf, planOf, up, world } from "./harness.js";

// Local replicas run with hot_standby_feedback on, so a long read on a replica is not cancelled when
// the primary vacuums rows it still reads. RDS leaves it off; it is a dynamic parameter (PostgreSQL:
// context sighup; RDS: ApplyType dynamic), so setting it in the parameter group needs no reboot.

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const withReplicas = () => desiredOf({ replicas: { enabled: true, count: 2 } });

describe("hot_standby_feedback on AWS replicas, as on local ones", () => {
  it("is set in the parameter group the replicas use, and the plan says why", async () => {
    ({ fake } = world());
    const desired = withReplicas();
    const { plan } = await planOf(fake, desired);
    const create = plan.changes.find((c) => c.kind === "parameter-group")!;
    expect(create.reason).toContain("hot_standby_feedback=1");
    await up(fake, desired);
    const r = fake.state.region();
    const group = r.rds.parameterGroups.get(desired.parameterGroup.name)!;
    expect(group.values.get("hot_standby_feedback")).toEqual({ value: "1", applyMethod: "immediate" });
    for (const name of ["my-app-prod-db-replica-1", "my-app-prod-db-replica-2"])
      expect(r.rds.instances.get(name)!.parameterGroupName).toBe(desired.parameterGroup.name);
  });

  it("on a database made without it, up sets it online (no reboot) and then changes nothing", async () => {
    ({ fake } = world());
    const desired = withReplicas();
    await up(fake, desired);
    const r = fake.state.region();
    // The group as an earlier ebdb left it.
    r.rds.parameterGroups.get(desired.parameterGroup.name)!.values.delete("hot_standby_feedback");

    const { plan } = await planOf(fake, desired);
    expect(plan.changes.map((c) => `${c.kind} ${c.field} ${c.impact}`)).toEqual([
      "parameter-group parameters.hot_standby_feedback none",
    ]);
    const text = explainPlan(plan).join("\n");
    expect(text).toMatch(/hot_standby_feedback=1 \(dynamic, applies at once\)/);
    expect(text).toMatch(/replicas.*vacuum/i);

    fake.resetCalls();
    await up(fake, desired, { io: new RecordingIoHost() });
    expect(fake.calls.filter((c) => c.mutating).map((c) => c.command)).toEqual(["ModifyDBParameterGroup"]);
    expect(fake.calls.find((c) => c.command === "ModifyDBParameterGroup")!.input.Parameters).toEqual([
      { ParameterName: "hot_standby_feedback", ParameterValue: "1", ApplyMethod: "immediate" },
    ]);
    // Every member applies it without a reboot.
    for (const i of r.rds.instances.values()) expect(i.parameterApplyStatus).toBe("applying");
    fake.clock.advance(RDS_TIMES.paramApply);
    for (const i of r.rds.instances.values()) expect(i.parameterApplyStatus).toBe("in-sync");
    fake.resetCalls();
    await up(fake, desired);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });
});
