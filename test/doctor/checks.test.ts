import { describe, expect, test } from "vitest";
import type { PgFacts } from "../../src/doctor/observation.js";
import { runChecks } from "../../src/doctor/registry.js";
import { statementColumns } from "../../src/doctor/statements-sql.js";
import type { CheckResult } from "../../src/doctor/types.js";
import { GIB, observation, pg } from "./observation-fixture.js";

// The checks whose causes take too long or too much to provoke on a real server (transaction-ID
// age in the hundreds of millions, 50 MB of bloat, weeks of growth, a certificate near its end, a
// busy CPU on a shared machine), judged from observations built by hand. The provoked ones are in
// local-provoked.test.ts.

function check(id: string, o: ReturnType<typeof observation>): CheckResult {
  return runChecks(o).checks.find((c) => c.id === id)!;
}

describe("the checks, on observations built by hand", () => {
  test("a healthy observation is green everywhere (CPU credits skipped locally)", () => {
    const r = runChecks(observation());
    expect(r.checks.filter((c) => c.status !== "green").map((c) => `${c.id} ${c.status}`)).toEqual([
      "network-path skipped",
      "cpu-credits skipped",
    ]);
  });

  test.each([
    [400_000_000, "green"],
    [600_000_000, "yellow"],
    [1_200_000_000, "red"],
  ])("a table %d transactions old is %s, with VACUUM FREEZE as the fix", (age, status) => {
    const c = check(
      "wraparound-tables",
      observation(
        {},
        { wraparound: { databases: [{ name: "app", age: 10 }], tables: [{ table: "public.orders", age }] } },
      ),
    );
    expect(c.status).toBe(status);
    expect(c.summary).toContain(`public.orders, is ${age.toLocaleString("en-US")} transactions old`);
    expect(c.summary).toMatch(/is \d{3},\d{3},\d{3}|is 1,\d{3},\d{3},\d{3}/);
    if (status !== "green") expect(c.fix).toContain("VACUUM (FREEZE, VERBOSE) public.orders");
  });

  test("a database's transaction-ID age: red from a billion, naming vacuumdb --freeze", () => {
    const c = check(
      "wraparound-databases",
      observation({}, { wraparound: { databases: [{ name: "app", age: 1_500_000_000 }], tables: [] } }),
    );
    expect(c).toMatchObject({ status: "red", fix: expect.stringContaining("vacuumdb --freeze") });
  });

  test("bloat: yellow only past 10 times and 50 MB wasted (Heroku's rule)", () => {
    const mib = 1024 * 1024;
    const small = { table: "public.a", sizeBytes: 40 * mib, wasteBytes: 39 * mib, factor: 40 };
    const big = { table: "public.b", sizeBytes: 600 * mib, wasteBytes: 560 * mib, factor: 15 };
    expect(check("bloat", observation({}, { bloat: [small] })).status).toBe("green");
    const c = check("bloat", observation({}, { bloat: [big, small] }));
    expect(c.status).toBe("yellow");
    expect(c.summary).toContain("public.b (15x, 560.0 MiB wasted)");
    expect(c.fix).toMatch(/VACUUM FULL public\.b.*pg_repack/);
  });

  test("mostly-NULL indexes and non-HOT updates: yellow with a partial index and fillfactor", () => {
    const n = check(
      "null-indexes",
      observation(
        {},
        {
          nullIndexes: [
            {
              index: "public.i",
              table: "public.t",
              column: "deleted_at",
              nullFraction: 0.97,
              sizeBytes: 5e6,
            },
          ],
        },
      ),
    );
    expect(n.fix).toContain("WHERE deleted_at IS NOT NULL");
    const h = check(
      "hot-updates",
      observation({}, { hotUpdates: [{ table: "public.t", updates: 50_000, hotUpdates: 1000 }] }),
    );
    expect(h).toMatchObject({ status: "yellow", fix: expect.stringContaining("fillfactor = 90") });
  });

  test("cache hit rate: first reads are not judged; rereads under 99% yellow, under 90% red", () => {
    const cache = (hit: number, rereads: number) => ({
      heapHit: hit,
      heapRead: rereads + 50_000,
      indexHit: 0,
      indexRead: 0,
      heapRereads: rereads,
      indexRereads: 0,
    });
    // A fresh load: many reads, all of them first reads.
    expect(check("cache-hit", observation({}, { cache: cache(5_000, 0) })).summary).toMatch(/too few reads/);
    expect(check("cache-hit", observation({}, { cache: cache(1_000_000, 0) })).status).toBe("green");
    expect(check("cache-hit", observation({}, { cache: cache(1_000_000, 20_000) })).status).toBe("yellow");
    expect(check("cache-hit", observation({}, { cache: cache(100_000, 20_000) })).status).toBe("red");
  });

  test("storage: the forecast at the recent rate turns it yellow within 14 days, red within 2", () => {
    const at = (free: number, perDay: number | null) =>
      check(
        "storage",
        observation({
          storage: {
            ...observation().storage!,
            freeBytes: free,
            growthBytesPerDay: perDay,
            growthWindowHours: 48,
          },
        }),
      );
    expect(at(50 * GIB, null).summary).toMatch(/no growth rate yet/);
    expect(at(50 * GIB, 1 * GIB)).toMatchObject({ status: "green", observed: { daysUntilFull: 50 } });
    const y = at(50 * GIB, 5 * GIB);
    expect(y).toMatchObject({ status: "yellow", observed: { daysUntilFull: 10 } });
    expect(y.summary).toMatch(/full in 10 days at 5\.0 GiB\/day over 48 h/);
    expect(at(50 * GIB, 40 * GIB).status).toBe("red");
    expect(at(5 * GIB, null).status).toBe("red"); // 5% free of 100 GiB
  });

  test("certificate: yellow within 90 days of expiry, red within 7, whichever of server and CA is first", () => {
    const cert = (notAfter: string) =>
      check(
        "certificate",
        observation({ certificate: { notAfter, ca: "the project CA", caNotAfter: "2036-01-01T00:00:00Z" } }),
      );
    expect(cert("2027-06-01T00:00:00Z").status).toBe("green");
    const y = cert("2027-01-15T00:00:00Z");
    expect(y).toMatchObject({ status: "yellow", observed: { daysLeft: 45 } });
    expect(y.fix).toMatch(/ebdb up/);
    expect(cert("2026-12-03T00:00:00Z").status).toBe("red");
    expect(cert("2026-11-01T00:00:00Z").summary).toMatch(/expired 29 day\(s\) ago/);
  });

  test("CPU of the server's processes: yellow from 80%, red from 95%", () => {
    const cpu = (u: number) => check("cpu", observation({ cpu: { utilization: u, source: "x" } })).status;
    expect([cpu(50), cpu(85), cpu(97)]).toEqual(["green", "yellow", "red"]);
  });

  test("pg_stat_statements: PostgreSQL 12's total_time and 13-18's total_exec_time; missing and not loaded say so", () => {
    expect(statementColumns(["query", "calls", "total_time", "mean_time", "max_time"])).toEqual({
      total: "total_time",
      mean: "mean_time",
      max: "max_time",
    });
    expect(statementColumns(["query", "total_plan_time", "total_exec_time", "mean_exec_time"])?.total).toBe(
      "total_exec_time",
    );
    const st = (state: PgFacts["statements"]["state"], detail: string) =>
      check("top-queries", observation({}, { statements: { ...pg().statements, state, detail } }));
    expect(st("not-loaded", "pg_stat_statements is not in shared_preload_libraries")).toMatchObject({
      status: "yellow",
      fix: expect.stringMatching(/shared_preload_libraries/),
    });
    expect(st("unavailable", "this server is a replica (read-only)").status).toBe("skipped");
  });

  test("top queries: a statement run again and again at 5 s or more on average is yellow; a one-off is not", () => {
    const slow = (calls: number) =>
      check(
        "top-queries",
        observation(
          {},
          {
            statements: {
              ...pg().statements,
              top: [
                {
                  query: "SELECT report()",
                  database: "app",
                  calls,
                  totalMs: calls * 8000,
                  meanMs: 8000,
                  maxMs: 9000,
                  rows: calls,
                },
              ],
              totalMs: calls * 8000,
            },
          },
        ),
      );
    expect(slow(1).status).toBe("green");
    expect(slow(5)).toMatchObject({
      status: "yellow",
      fix: expect.stringContaining("EXPLAIN (ANALYZE, BUFFERS)"),
    });
  });

  test("a stopped server: the SQL checks are skipped saying why, the instance red", () => {
    const r = runChecks(
      observation(
        {
          instance: { ...observation().instance, state: "stopped", serving: false },
          pg: null,
          pgSkipped: "app-test-db is stopped",
        },
        {},
      ),
    );
    const by = new Map(r.checks.map((c) => [c.id, c]));
    expect(by.get("instance-status")).toMatchObject({
      status: "red",
      fix: expect.stringContaining("ebdb up"),
    });
    expect(by.get("connections")).toMatchObject({ status: "skipped", summary: "app-test-db is stopped" });
  });
});
