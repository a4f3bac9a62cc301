import { describe, expect, it } from "vitest";
import type { Change, Plan } from "../../src/model/change.js";
import { explainCallerDependence } from "../../src/plan/caller-env.js";

const local: Change = {
  resource: "shop/prod/db-password",
  kind: "secret",
  action: "update",
  field: "password",
  impact: "none",
  reason: "Sets the master password to DB_MASTER_PASSWORD (online; replicas get the new one too)",
};
const aws: Change = { ...local, resource: "shop-prod-db", kind: "instance", field: "masterPassword" };
const other: Change = { ...local, kind: "instance", field: "instanceClass", reason: "Changes the class" };
const plan = (...changes: Change[]): Plan => ({ target: "local", changes, refused: [] }) as unknown as Plan;
const dependent = { callerDependent: { masterUsername: false, masterPassword: true } };

describe("a plan that changes a master password taken from the caller's environment", () => {
  it("says why on the local and the AWS change, and nowhere else", () => {
    const out = explainCallerDependence(plan(local, aws, other), dependent);
    const [l, a, o] = out.changes;
    for (const c of [l, a]) {
      expect(c.reason).toMatch(
        /^Sets the master password to DB_MASTER_PASSWORD .* — DB_MASTER_PASSWORD depends on who runs ebdb \(config\.env fills a \$NAME in it from the caller's environment\)/,
      );
    }
    expect(o).toBe(other);
  });

  it("leaves the plan as it is when the password does not depend on the caller", () => {
    const p = plan(local, aws);
    expect(
      explainCallerDependence(p, { callerDependent: { masterUsername: true, masterPassword: false } }),
    ).toBe(p);
  });
});
