import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/model/change.js";
import { deriveDesired } from "../../src/model/desired.js";
import { diff } from "../../src/plan/diff.js";
import { explainPlan, summaryLine } from "../../src/plan/explain.js";
import { makeConfig, makeConfigWithReplicas } from "../fixtures/config.js";
import { observedFrom } from "../fixtures/observed.js";

const NOW = new Date("2025-03-10T12:00:00Z");

function scenario(): Plan {
  // Was: db.t3.micro, 50 GiB, no replicas. Now: db.t3.small, 40 GiB (a shrink), 3 replicas.
  const before = deriveDesired(
    makeConfig({ storage: { allocatedGiB: 50, autoscaling: false, maxAllocatedGiB: null } }),
    "aws",
  );
  const after = deriveDesired(
    makeConfigWithReplicas({
      instanceClass: "db.t3.small",
      storage: { allocatedGiB: 40, autoscaling: false, maxAllocatedGiB: null },
      replicas: { count: 3, min: 3, max: 3 },
    }),
    "aws",
  );
  const observed = observedFrom(before);
  observed.alarms = observed.alarms!.filter((a) => !a.name.endsWith("-lag"));
  return diff(after, observed, { now: NOW });
}

describe("explainPlan", () => {
  it("summarizes resources to create, change and delete, with impacts", () => {
    const plan = scenario();
    // 3 replicas + 3 lag alarms; the primary, the connections and memory alarms (new class) and the EB wiring change.
    expect(summaryLine(plan)).toBe(
      "6 to create, 5 to change (1 failover, 1 restart), 0 to delete, 1 refused",
    );
  });

  it("shows each resource's changes from → to with impact badges, and refusals with their reasons", () => {
    const text = explainPlan(scenario(), { identifier: "my-app-prod-db" }).join("\n");
    expect(text).toMatch(/^Plan for my-app-prod-db \(aws\):/);
    expect(text).toMatch(
      /~ instance my-app-prod-db\n\s+instanceClass: db\.t3\.micro → db\.t3\.small {2}\[failover\]/,
    );
    expect(text).toMatch(/\+ replica my-app-prod-db-replica-1\n/);
    expect(text).toMatch(
      /Refused \(ebdb will not do these\):\n\s+✗ instance my-app-prod-db\n\s+storage\.allocatedGiB: 50 → 40/,
    );
    expect(text).toMatch(/RDS cannot shrink storage/);
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "6 to create, 5 to change (1 failover, 1 restart), 0 to delete, 1 refused.",
    );
  });

  it("says when there is nothing to do", () => {
    const d = deriveDesired(makeConfig(), "aws");
    const lines = explainPlan(diff(d, observedFrom(d)), { identifier: "my-app-prod-db" });
    expect(lines[0]).toBe("No changes for my-app-prod-db (aws): the resources match the configuration.");
    expect(lines.at(-1)).toBe("0 to create, 0 to change, 0 to delete.");
  });

  it("lists notes", () => {
    const d = deriveDesired(makeConfig(), "aws");
    const o = observedFrom(d);
    o.primary!.storage.allocatedGiB = 30;
    expect(explainPlan(diff(d, o)).join("\n")).toMatch(
      /Notes:\n\s+• my-app-prod-db: storage autoscaling has grown/,
    );
  });
});
