import { describe, expect, it } from "vitest";
import type { Change } from "../../src/model/change.js";
import { orderChanges } from "../../src/plan/order.js";

const c = (kind: Change["kind"], action: Change["action"], resource: string = kind): Change => ({
  resource,
  kind,
  action,
  impact: "none",
  reason: "",
});

describe("orderChanges", () => {
  it("puts what a resource needs first, the EB wiring last, and deletes after, dependants first", () => {
    const ordered = orderChanges([
      c("replica", "delete", "r2"),
      c("eb-environment", "update"),
      c("alarm", "delete", "r2-lag"),
      c("replica", "create", "r3"),
      c("instance", "update"),
      c("alarm", "create", "r3-lag"),
      c("secret", "create"),
      c("parameter-group", "update"),
    ]);
    expect(ordered.map((x) => `${x.action} ${x.resource}`)).toEqual([
      "create secret",
      "update parameter-group",
      "update instance",
      "create r3",
      "create r3-lag",
      "update eb-environment",
      "delete r2-lag",
      "delete r2",
    ]);
  });

  it("keeps the order of equal changes", () => {
    const ordered = orderChanges([
      c("replica", "create", "r1"),
      c("replica", "create", "r2"),
      c("replica", "create", "r3"),
    ]);
    expect(ordered.map((x) => x.resource)).toEqual(["r1", "r2", "r3"]);
  });
});
