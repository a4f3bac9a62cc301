import { describe, expect, test } from "vitest";
import { poolSizing, type SizingInput } from "../../src/pooling/sizing.js";

const base: SizingInput = {
  maxConnections: 79,
  maxConnectionsFrom: "RDS's default for db.t3.micro",
  instances: 4,
  instancesFrom: "EB's default MaxSize",
  configured: null,
  pooler: null,
};

describe("pool sizing", () => {
  test("max_connections less both reserves, shared by the instances at most", () => {
    const s = poolSizing(base);
    expect(s).toMatchObject({
      available: 71,
      computed: 17,
      perInstance: 17,
      total: 68,
      fits: true,
      pooler: null,
    });
    expect(s.lines).toEqual([
      "max_connections 79 (RDS's default for db.t3.micro)",
      "− 3 superuser_reserved_connections",
      "− 5 kept for migrations and an operator (psql, ebdb exec)",
      "= 71 for the application",
      "÷ 4 application instances at most (EB's default MaxSize) = 17 per instance",
    ]);
    expect(s.warnings).toEqual([]);
  });

  test("DB_POOL_SIZE × instances over what max_connections leaves is a warning naming the largest that fits", () => {
    const s = poolSizing({ ...base, configured: 50 });
    expect(s.fits).toBe(false);
    expect(s.total).toBe(200);
    expect(s.lines[4]).toBe(
      "÷ 4 application instances at most (EB's default MaxSize) = 17 per instance; DB_POOL_SIZE 50 × 4 = 200 > 71",
    );
    expect(s.warnings).toEqual([expect.stringContaining("Set DB_POOL_SIZE to at most 17")]);
    // 17 fits exactly.
    expect(poolSizing({ ...base, configured: 17 }).fits).toBe(true);
  });

  test("more instances than connections, and a class with nothing left, are impossible", () => {
    expect(poolSizing({ ...base, instances: 80 }).warnings).toEqual([
      expect.stringContaining("80 instances cannot each hold a connection of the 71"),
    ]);
    const tiny = poolSizing({ ...base, maxConnections: 8 });
    expect(tiny.available).toBe(0);
    expect(tiny.warnings).toEqual([expect.stringContaining("choose a larger instance class")]);
  });

  test("behind RDS Proxy the instances' pools may exceed it: the proxy holds the server to MaxConnectionsPercent", () => {
    const s = poolSizing({ ...base, configured: 50, pooler: "rds-proxy" });
    expect(s.fits).toBe(true);
    expect(s.pooler).toEqual({ kind: "rds-proxy", serverConnections: 71, maxConnectionsPercent: 89 });
    expect(s.lines.at(-1)).toContain("MaxConnectionsPercent 89 (at most 70 of 79 server connections");
  });

  test("the local PgBouncer's pool is DB_POOL_SIZE, held to what max_connections leaves", () => {
    const local = { ...base, maxConnections: 100, instances: 1, pooler: "pgbouncer" as const };
    expect(poolSizing(local).pooler?.serverConnections).toBe(92);
    expect(poolSizing({ ...local, configured: 10 }).pooler?.serverConnections).toBe(10);
    const over = poolSizing({ ...local, configured: 200 });
    expect(over.pooler?.serverConnections).toBe(92);
    expect(over.warnings).toEqual([expect.stringContaining("PgBouncer's pool is held to 92")]);
  });
});
