import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveDesired } from "../../src/model/desired.js";
import { diff, emptyObserved } from "../../src/plan/diff.js";
import { makeConfig } from "../fixtures/config.js";
import { observedFrom } from "../fixtures/observed.js";

const configs = fc
  .record({
    engine: fc.constantFrom("postgres", "mysql", "mariadb" as const),
    instanceClass: fc.constantFrom(
      "db.t3.micro",
      "db.t4g.small",
      "db.m5.large",
      "db.r6g.xlarge",
      "db.x2g.large",
    ),
    multiAz: fc.boolean(),
    type: fc.constantFrom("gp2", "gp3", "io1" as const),
    allocatedGiB: fc.integer({ min: 100, max: 2000 }),
    autoscaling: fc.boolean(),
    encrypted: fc.boolean(),
    retentionDays: fc.integer({ min: 0, max: 35 }),
    replicas: fc.integer({ min: 0, max: 5 }),
    accessMode: fc.constantFrom("client-sg", "eb-sg" as const),
    rdsProxy: fc.boolean(),
    email: fc.option(fc.constant("ops@example.com"), { nil: null }),
    target: fc.constantFrom("aws", "local" as const),
  })
  .map((r) => ({
    target: r.target,
    config: makeConfig({
      engine: r.engine,
      instanceClass: r.instanceClass,
      multiAz: r.multiAz,
      storage: {
        type: r.type,
        allocatedGiB: r.allocatedGiB,
        autoscaling: r.autoscaling,
        maxAllocatedGiB: r.autoscaling ? r.allocatedGiB * 2 : null,
        iops: r.type === "io1" ? r.allocatedGiB * 10 : null,
        encrypted: r.encrypted,
      },
      backup: { retentionDays: r.retentionDays },
      replicas:
        r.retentionDays > 0 && r.replicas > 0
          ? { enabled: true, count: r.replicas, min: r.replicas, max: 5 }
          : { enabled: false, count: 0 },
      accessMode: r.accessMode,
      rdsProxy: r.rdsProxy,
      alarmEmail: r.email,
    }),
  }));

describe("diff properties", () => {
  it("a converged state plans nothing, on either target", () => {
    fc.assert(
      fc.property(configs, ({ config, target }) => {
        const d = deriveDesired(config, target);
        const plan = diff(d, observedFrom(d));
        expect(plan.changes).toEqual([]);
        expect(plan.refused).toEqual([]);
      }),
    );
  });

  it("from nothing, every change is a create (or the EB wiring) and nothing is refused", () => {
    fc.assert(
      fc.property(configs, ({ config, target }) => {
        const d = deriveDesired(config, target);
        const plan = diff(d, emptyObserved(target));
        expect(plan.refused).toEqual([]);
        for (const c of plan.changes) expect(c.action === "create" || c.kind === "eb-environment").toBe(true);
        expect(plan.changes.filter((c) => c.kind === "replica")).toHaveLength(d.replicas.length);
        const kinds = plan.changes.map((c) => c.kind);
        expect(kinds.indexOf("instance")).toBeLessThan(
          kinds.indexOf("replica") === -1 ? Infinity : kinds.indexOf("replica"),
        );
      }),
    );
  });
});
