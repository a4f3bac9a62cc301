import { describe, expect, it } from "vitest";
import { statusLines } from "../../src/cli/commands/status.js";
import type { NodeStatus, ReplicationSlotStatus, StatusReport } from "../../src/targets/target.js";

// What `status` prints about health on the local target (issue 7, items 11-12): each slot's WAL and
// whether it was lost, a server that refuses connections, a failing archive with since when, how
// often and why, and the disk's fill. The JSON has the same facts (StatusReport).

const MiB = 1024 * 1024;

function node(over: Partial<NodeStatus>): NodeStatus {
  return {
    name: "app-dev-db",
    role: "primary",
    state: "running",
    host: "127.0.0.1",
    port: 5432,
    pid: 100,
    instanceClass: null,
    lagBytes: null,
    lagSeconds: null,
    ...over,
  };
}

function slot(over: Partial<ReplicationSlotStatus>): ReplicationSlotStatus {
  return {
    name: "app_dev_db_replica_1",
    replica: "app-dev-db-replica-1",
    active: true,
    walStatus: "reserved",
    heldBytes: 3 * MiB,
    safeBytes: 2045 * MiB,
    capBytes: 2048 * MiB,
    lost: false,
    ...over,
  };
}

function report(over: Partial<StatusReport>): StatusReport {
  return {
    target: "local",
    identifier: "app-dev-db",
    engine: "postgres",
    engineVersion: "16.4",
    nodes: [node({})],
    backups: {
      enabled: true,
      retentionDays: 1,
      archive: {
        state: "ok",
        lastArchived: "000000010000000000000003",
        lastArchivedAt: null,
        failedCount: 0,
      },
      list: [],
      earliestRestorableTime: null,
      latestRestorableTime: null,
    },
    storage: { usedBytes: null, allocatedGiB: null, maxAllocatedGiB: null },
    alarmsInAlarm: [],
    pendingModifications: {},
    notes: [],
    ...over,
  };
}

describe("status text: health (local)", () => {
  it("each slot: the WAL it holds and how much more before it is lost, or that it was lost", () => {
    const text = statusLines(
      report({
        replicationSlots: [
          slot({}),
          slot({
            name: "app_dev_db_replica_2",
            replica: "app-dev-db-replica-2",
            active: false,
            walStatus: "lost",
            heldBytes: null,
            safeBytes: null,
            lost: true,
          }),
        ],
      }),
    ).join("\n");
    expect(text).toContain(
      "Replication slots (WAL each holds on the primary; at most 2.0 GiB, max_slot_wal_keep_size):",
    );
    expect(text).toMatch(
      /app_dev_db_replica_1\s+app-dev-db-replica-1\s+streaming\s+holds 3\.0 MiB \(reserved; 2\.0 GiB to go\)/,
    );
    expect(text).toMatch(
      /app_dev_db_replica_2\s+app-dev-db-replica-2\s+inactive\s+LOST \(the primary removed WAL it needed\)/,
    );
  });

  it("slots unknown when the primary cannot be queried; nothing when there are none (or on AWS)", () => {
    expect(statusLines(report({ replicationSlots: null })).join("\n")).toContain(
      "Replication slots: unknown (the primary cannot be queried)",
    );
    expect(statusLines(report({ replicationSlots: [] })).join("\n")).not.toContain("Replication slots");
    expect(statusLines(report({})).join("\n")).not.toContain("Replication slots");
  });

  it("a running server that refuses connections says so in its state, with the connections column", () => {
    const text = statusLines(
      report({
        nodes: [
          node({
            refusing: "too many clients",
            connections: { used: 100, max: 100, reservedForSuperuser: 3 },
          }),
        ],
      }),
    ).join("\n");
    expect(text).toMatch(/NODE\s+ROLE\s+STATE\s+ENDPOINT\s+PID\s+CONNS\s+LAG/);
    expect(text).toMatch(
      /app-dev-db\s+primary\s+running, refusing: too many clients \(100\/100\)\s+127\.0\.0\.1:5432\s+100\s+100\/100/,
    );
  });

  it("a failing archive: since when, how many failures, the last error, what waits", () => {
    const text = statusLines(
      report({
        backups: {
          ...report({}).backups,
          archive: {
            state: "failing",
            lastArchived: "000000010000000000000003",
            lastArchivedAt: "2026-01-01T10:00:00.000Z",
            failedCount: 6,
            failingSince: "2026-01-01T10:00:05.000Z",
            lastError: 'could not write to file "x": No space left on device',
            waiting: 2,
          },
        },
      }),
    ).join("\n");
    expect(text).toContain(
      'WAL archive: failing since 2026-01-01T10:00:05.000Z (6 failure(s); last error: could not write to file "x": No space left on device); last 000000010000000000000003 at 2026-01-01T10:00:00.000Z; 2 segment(s) waiting',
    );
  });

  it("the disk holding the data: how full, what is available", () => {
    const text = statusLines(
      report({
        storage: {
          usedBytes: 40 * MiB,
          allocatedGiB: null,
          maxAllocatedGiB: null,
          disk: {
            path: "/var/lib/ebdb/app",
            sizeBytes: 300 * MiB,
            availableBytes: 10 * MiB,
            usedPercent: 97,
          },
        },
      }),
    ).join("\n");
    expect(text).toContain("Disk: 97% full, 10.0 MiB available of 300.0 MiB (/var/lib/ebdb/app)");
  });
});
