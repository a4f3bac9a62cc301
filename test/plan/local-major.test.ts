import { describe, expect, it } from "vitest";
import { deriveDesired } from "../../src/model/desired.js";
import { diff } from "../../src/plan/diff.js";
import { makeConfig } from "../fixtures/config.js";
import { observedFrom } from "../fixtures/observed.js";

/** The plan for a local database running `running` while DB_ENGINE_VERSION says `wanted`. */
function localPlan(running: string, wanted: string) {
  const desired = deriveDesired(
    makeConfig({ engineVersion: wanted, engineMajor: wanted.split(".")[0] }),
    "local",
  );
  const observed = observedFrom(desired);
  observed.primary!.engineVersion = running;
  return diff(desired, observed);
}

describe("a major version change on the local target is refused, never planned", () => {
  it.each([
    ["15.18", "16.8", "15 → 16"],
    ["16.8", "15.8", "16 → 15"],
  ])("%s running, %s configured", (running, wanted, arrow) => {
    const plan = localPlan(running, wanted);
    expect(plan.changes.filter((c) => c.field === "engineVersion")).toEqual([]);
    const refused = plan.refused.filter((c) => c.field === "engineVersion");
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toContain(`in place (${arrow})`);
    expect(refused[0].reason).toContain("`ebdb destroy --yes`");
  });

  it("AWS still plans the upgrade (RDS makes it)", () => {
    const desired = deriveDesired(makeConfig({ engineVersion: "16.8", engineMajor: "16" }), "aws");
    const observed = observedFrom(desired);
    observed.primary!.engineVersion = "15.18";
    const plan = diff(desired, observed);
    expect(plan.changes.find((c) => c.field === "engineVersion")?.impact).toBe("outage");
  });
});
