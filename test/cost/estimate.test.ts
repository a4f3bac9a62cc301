import { describe, expect, it } from "vitest";
import { type CostEstimate, estimateCost } from "../../src/cost/estimate.js";
import { HOURS_PER_MONTH, hourlyPrice, PRICE_TABLE_DATE } from "../../src/cost/prices.js";
import { makeConfig, makeConfigWithReplicas } from "../fixtures/config.js";

const line = (e: CostEstimate, item: string) => e.lines.find((l) => l.item === item);

describe("estimateCost", () => {
  it("gives the spec's replica example: db.t3.small at $0.034/h, 1 to 3 replicas, about $25 to $75 a month", () => {
    // $0.034 is the MySQL/MariaDB list price of db.t3.small (PostgreSQL's is $0.036).
    for (const engine of ["mysql", "mariadb"] as const) {
      const e = estimateCost(
        makeConfigWithReplicas({ engine, replicas: { instanceClass: "db.t3.small", min: 1, max: 3 } }),
      );
      expect(line(e, "Read replicas")).toEqual({
        item: "Read replicas",
        detail: "1 to 3 × db.t3.small at $0.034/h each (Single-AZ)",
        monthlyMin: 24.82,
        monthlyMax: 74.46,
      });
    }
  });

  it("prices PostgreSQL's db.t3.small at its own list price", () => {
    const e = estimateCost(
      makeConfigWithReplicas({ replicas: { instanceClass: "db.t3.small", min: 1, max: 3 } }),
    );
    expect(line(e, "Read replicas")).toMatchObject({ monthlyMin: 26.28, monthlyMax: 78.84 });
  });

  it("doubles the primary and its storage for Multi-AZ", () => {
    const multi = estimateCost(makeConfig({ multiAz: true }));
    const single = estimateCost(makeConfig({ multiAz: false }));
    expect(line(multi, "Primary instance")?.monthlyMin).toBe(26.28); // 2 × $0.018 × 730
    expect(line(single, "Primary instance")?.monthlyMin).toBe(13.14);
    expect(line(multi, "Primary instance")?.detail).toMatch(/Multi-AZ: primary \+ standby: 2 × \$0\.018\/h/);
    // gp3 20 GiB up to 100 GiB with autoscaling, at $0.115.
    expect(line(single, "Primary storage")).toMatchObject({ monthlyMin: 2.3, monthlyMax: 11.5 });
    expect(line(multi, "Primary storage")).toMatchObject({ monthlyMin: 4.6, monthlyMax: 23 });
  });

  it("gives each replica its own storage", () => {
    const e = estimateCost(
      makeConfigWithReplicas({
        storage: { allocatedGiB: 100, autoscaling: false, maxAllocatedGiB: null },
        replicas: { min: 1, max: 3 },
      }),
    );
    expect(line(e, "Replica storage")).toMatchObject({ monthlyMin: 11.5, monthlyMax: 34.5 });
  });

  it("prices io1 IOPS on every volume, and gp3 only beyond the included baseline", () => {
    const io1 = estimateCost(
      makeConfig({
        multiAz: false,
        storage: { type: "io1", allocatedGiB: 100, iops: 1000, autoscaling: false, maxAllocatedGiB: null },
      }),
    );
    expect(line(io1, "Primary storage")?.monthlyMin).toBe(12.5);
    expect(line(io1, "Provisioned IOPS / throughput")?.monthlyMin).toBe(100);
    const gp3 = estimateCost(
      makeConfig({
        multiAz: true,
        storage: {
          type: "gp3",
          allocatedGiB: 400,
          iops: 15000,
          throughputMiBps: 600,
          autoscaling: false,
          maxAllocatedGiB: null,
        },
      }),
    );
    // (3,000 IOPS × $0.02 + 100 MiB/s × $0.08) × 2 volumes.
    expect(line(gp3, "Provisioned IOPS / throughput")?.monthlyMin).toBe(136);
    expect(line(estimateCost(makeConfig()), "Provisioned IOPS / throughput")).toBeUndefined();
  });

  it("counts the alarms, one more per replica at the maximum", () => {
    const e = estimateCost(makeConfigWithReplicas({ replicas: { min: 1, max: 3 } }));
    expect(line(e, "CloudWatch alarms")).toMatchObject({ monthlyMin: 0.7, monthlyMax: 0.9 });
  });

  it("states the backup assumption, free Performance Insights at 7 days, and the secret", () => {
    const e = estimateCost(makeConfig());
    expect(line(e, "Backup storage")).toMatchObject({ monthlyMin: 0, monthlyMax: 0 });
    expect(e.assumptions.join("\n")).toMatch(/free allowance/);
    expect(line(e, "Performance Insights")).toMatchObject({
      monthlyMin: 0,
      detail: "7 days of history: free",
    });
    // RDS's JSON secret, the password alone, DATABASE_URL and JDBC_DATABASE_URL for EB.
    expect(line(e, "Secrets Manager")?.monthlyMin).toBeCloseTo(1.6);
  });

  it("adds RDS Proxy by the instance's vCPUs, at least two", () => {
    const e = estimateCost(makeConfig({ rdsProxy: true, instanceClass: "db.m5.xlarge" }));
    expect(line(e, "RDS Proxy")?.monthlyMin).toBe(43.8); // 4 × $0.015 × 730
  });

  it("totals the priced lines, from minimum to maximum", () => {
    const e = estimateCost(makeConfigWithReplicas({ replicas: { min: 1, max: 3 } }));
    const sum = (k: "monthlyMin" | "monthlyMax") =>
      Math.round(e.lines.reduce((t, l) => t + (l[k] ?? 0), 0) * 100) / 100;
    expect(e.total).toEqual({ min: sum("monthlyMin"), max: sum("monthlyMax") });
    expect(e.total.max).toBeGreaterThan(e.total.min);
    expect(e.priceDate).toBe(PRICE_TABLE_DATE);
    expect(e.hoursPerMonth).toBe(HOURS_PER_MONTH);
  });

  it("leaves what it cannot price out of the total, and says so", () => {
    const e = estimateCost(
      makeConfig({ instanceClass: "db.x2iedn.xlarge", performanceInsights: { retentionDays: 31 } }),
    );
    expect(line(e, "Primary instance")?.monthlyMin).toBeNull();
    expect(e.unpriced.join("\n")).toMatch(/db\.x2iedn\.xlarge: not in the built-in price table/);
    expect(e.unpriced.join("\n")).toMatch(/Performance Insights beyond 7 days/);
  });

  it("says the prices are us-east-1's when the configuration is elsewhere", () => {
    expect(estimateCost(makeConfig({ region: "eu-west-1" })).assumptions.join("\n")).toMatch(
      /us-east-1's; eu-west-1 may cost/,
    );
  });

  it("has a price for every class of the spec's catalog, on every engine", () => {
    const spec = [
      "db.t3.micro",
      "db.t3.small",
      "db.t4g.micro",
      "db.t3.medium",
      "db.m5.large",
      "db.m5.xlarge",
      "db.r5.large",
      "db.m5.2xlarge",
      "db.r5.2xlarge",
    ];
    for (const c of spec)
      for (const engine of ["postgres", "mysql", "mariadb"] as const)
        expect(hourlyPrice(c, engine)).toBeGreaterThan(0);
  });
});
