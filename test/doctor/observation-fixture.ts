import type { HealthObservation, PgFacts } from "../../src/doctor/observation.js";

/** A healthy local observation built by hand, for the checks' and `top`'s pure tests. */

export const AT = "2026-11-30T06:00:00.000Z";
export const GIB = 1024 ** 3;

export function pg(over: Partial<PgFacts> = {}): PgFacts {
  return {
    versionNum: 150008,
    database: "app",
    connections: { used: 3, max: 100, reservedForSuperuser: 3, byApplication: [] },
    idleInTransaction: [],
    longTransactions: [],
    longQueries: [],
    blocked: [],
    statements: {
      state: "ok",
      detail: "",
      version: "1.10",
      schema: "public",
      totalColumn: "total_exec_time",
      top: [],
      totalMs: 0,
    },
    cache: { heapHit: 0, heapRead: 0, indexHit: 0, indexRead: 0, heapRereads: 0, indexRereads: 0 },
    unusedIndexes: [],
    duplicateIndexes: [],
    foreignKeysWithoutIndex: [],
    bloat: [],
    nullIndexes: [],
    hotUpdates: [],
    sequences: [],
    wraparound: { databases: [{ name: "app", age: 1000 }], tables: [{ table: "public.t", age: 1000 }] },
    unlogged: [],
    schemas: 1,
    statsReset: null,
    ...over,
  };
}

export function observation(
  over: Partial<HealthObservation> = {},
  facts: Partial<PgFacts> = {},
): HealthObservation {
  const ok = { ok: true, detail: "ok" };
  return {
    target: "local",
    identifier: "app-test-db",
    instance: {
      name: "app-test-db",
      role: "primary",
      state: "running",
      serving: true,
      engine: "postgres",
      engineVersion: "15.8",
      instanceClass: null,
    },
    at: AT,
    connectivity: { dns: ok, tcp: ok, tls: ok, auth: ok },
    certificate: {
      notAfter: "2027-11-30T00:00:00.000Z",
      ca: "the project CA",
      caNotAfter: "2036-11-30T00:00:00.000Z",
    },
    network: null,
    pg: pg(facts),
    pgSkipped: null,
    replication: { replicas: [], slots: [] },
    archive: {
      enabled: true,
      state: "ok",
      lastArchived: null,
      lastArchivedAt: null,
      failedCount: 0,
      failingSince: null,
      lastError: null,
    },
    storage: {
      usedBytes: 1 * GIB,
      freeBytes: 50 * GIB,
      allocatedBytes: null,
      maxAllocatedBytes: null,
      fileSystemBytes: 100 * GIB,
      path: "/data",
      growthBytesPerDay: null,
      growthWindowHours: null,
    },
    cpu: { utilization: 3, source: "the server's processes" },
    ...over,
  };
}
