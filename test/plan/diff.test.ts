import { describe, expect, it } from "vitest";
import type { Change, Impact, Plan } from "../../src/model/change.js";
import type { Config } from "../../src/model/config.js";
import { deriveDesired } from "../../src/model/desired.js";
import type { Observed, ObservedInstance } from "../../src/model/observed.js";
import { diff, emptyObserved } from "../../src/plan/diff.js";
import { type DeepPartial, makeConfig, makeConfigWithReplicas } from "../fixtures/config.js";
import { observedFrom } from "../fixtures/observed.js";

const NOW = new Date("2025-03-10T12:00:00Z");

function planFor(
  config: Config,
  mutate: (o: Observed, primary: ObservedInstance) => void = () => {},
  opts: { allowReplace?: boolean; target?: "aws" | "local" } = {},
): Plan {
  const desired = deriveDesired(config, opts.target ?? "aws");
  const observed = observedFrom(desired);
  mutate(observed, observed.primary!);
  return diff(desired, observed, { now: NOW, allowReplace: opts.allowReplace });
}

const brief = (c: Change) => ({ resource: c.resource, action: c.action, field: c.field, impact: c.impact });

describe("diff: nothing observed", () => {
  it("creates everything on AWS, in dependency order", () => {
    const d = deriveDesired(makeConfigWithReplicas({ replicas: { count: 2 } }), "aws");
    const plan = diff(d, emptyObserved("aws"), { now: NOW });
    expect(plan.refused).toEqual([]);
    expect(plan.changes.every((c) => c.impact === "none" || c.kind === "eb-environment")).toBe(true);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.resource}`)).toEqual([
      "create secret my-app/prod/db-password",
      "create subnet-group my-app-prod-db-subnets",
      "create security-group my-app-prod-db-sg",
      "create security-group my-app-prod-db-client-sg",
      "create parameter-group my-app-prod-db-postgres16",
      "create instance my-app-prod-db",
      "create replica my-app-prod-db-replica-1",
      "create replica my-app-prod-db-replica-2",
      "create topic my-app-prod-db-alarms",
      ...d.monitoring.alarms.map((a) => `create alarm ${a.name}`),
      "create iam-policy my-app-prod instance role",
      "update eb-environment my-app-prod",
      "update eb-environment my-app-prod",
    ]);
    const eb = plan.changes.filter((c) => c.kind === "eb-environment");
    expect(eb.map((c) => c.reason).join(" ")).toMatch(/rolling update/);
    expect(eb.map((c) => c.reason).join(" ")).toMatch(/DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD/);
  });

  it("creates only the instances on the local target (no network, secret store, alarms or EB)", () => {
    const d = deriveDesired(makeConfigWithReplicas(), "local");
    const plan = diff(d, emptyObserved("local"), { now: NOW });
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.resource}`)).toEqual([
      "create instance my-app-prod-db",
      "create replica my-app-prod-db-replica-1",
    ]);
  });

  it("creates what is missing after an interrupted first run, and nothing twice", () => {
    const d = deriveDesired(makeConfig(), "aws");
    const o = observedFrom(d);
    o.primary = null;
    o.topic = null;
    o.alarms = [];
    const plan = diff(d, o, { now: NOW });
    expect(plan.changes.filter((c) => c.action === "create").map((c) => c.kind)).toEqual([
      "instance",
      "topic",
      ...d.monitoring.alarms.map(() => "alarm"),
    ]);
    // The EB wiring names the new endpoint.
    expect(plan.changes.find((c) => c.kind === "eb-environment")?.to).toEqual(["DB_HOST"]);
  });
});

describe("diff: converged", () => {
  it.each([
    ["aws, defaults", makeConfig(), "aws"],
    ["aws, replicas", makeConfigWithReplicas({ replicas: { count: 3 } }), "aws"],
    [
      "aws, mysql io1 single-AZ",
      makeConfig({
        engine: "mysql",
        multiAz: false,
        storage: { type: "io1", allocatedGiB: 200, iops: 3000 },
      }),
      "aws",
    ],
    [
      "aws, eb-sg access, proxy, e-mail",
      makeConfig({ accessMode: "eb-sg", rdsProxy: true, alarmEmail: "ops@example.com" }),
      "aws",
    ],
    ["local, replicas", makeConfigWithReplicas({ replicas: { count: 2 } }), "local"],
  ] as const)("%s: no change", (_name, config, target) => {
    const plan = planFor(config, () => {}, { target });
    expect(plan.changes).toEqual([]);
    expect(plan.refused).toEqual([]);
  });

  it("local: fields the target fills with the desired values give no change, and its chosen ports are right", () => {
    const plan = planFor(
      makeConfigWithReplicas(),
      (o, p) => {
        p.port = 54321;
        o.replicas[0].port = 54322;
      },
      { target: "local" },
    );
    expect(plan.changes).toEqual([]);
  });
});

type Case = {
  name: string;
  config?: DeepPartial<Config>;
  /** The configuration the live state was made from (default: `config`). */
  was?: DeepPartial<Config>;
  observe: (p: ObservedInstance, o: Observed) => void;
  opts?: { allowReplace?: boolean };
  change?: { field: string; impact: Impact; reason?: RegExp; resource?: string };
  refused?: { field: string; reason: RegExp };
  note?: RegExp;
};

const cases: Case[] = [
  {
    name: "a new class on Multi-AZ is a failover",
    config: { instanceClass: "db.t3.small" },
    observe: (p) => {
      p.instanceClass = "db.t3.micro";
    },
    change: { field: "instanceClass", impact: "failover", reason: /fails over/ },
  },
  {
    name: "a new class on Single-AZ is an outage",
    config: { instanceClass: "db.m5.large", multiAz: false },
    observe: (p) => {
      p.instanceClass = "db.t3.micro";
    },
    change: { field: "instanceClass", impact: "outage" },
  },
  {
    name: "a minor upgrade is an outage even on Multi-AZ",
    config: { engineVersion: "16.6" },
    observe: (p) => {
      p.engineVersion = "16.4";
    },
    change: { field: "engineVersion", impact: "outage", reason: /standby together/ },
  },
  {
    name: "a major upgrade is an outage",
    config: { engineVersion: "17.2" },
    observe: (p) => {
      p.engineVersion = "16.4";
    },
    change: { field: "engineVersion", impact: "outage", reason: /Major upgrade PostgreSQL 16 → 17/ },
  },
  {
    name: "a MySQL major upgrade compares 8.0 with 8.4",
    config: { engine: "mysql", engineVersion: "8.4.3" },
    observe: (p) => {
      p.engineVersion = "8.0.35";
    },
    change: { field: "engineVersion", impact: "outage", reason: /8\.0 → 8\.4/ },
  },
  {
    name: "a major downgrade is refused",
    config: { engineVersion: "15.8" },
    observe: (p) => {
      p.engineVersion = "16.4";
    },
    refused: { field: "engineVersion", reason: /cannot downgrade/ },
  },
  {
    name: "a minor downgrade is refused without auto minor upgrades",
    config: { engineVersion: "16.2", autoMinorVersionUpgrade: false },
    observe: (p) => {
      p.engineVersion = "16.4";
      p.autoMinorVersionUpgrade = false;
    },
    refused: { field: "engineVersion", reason: /DB_ENGINE_VERSION=16\.4/ },
  },
  {
    name: "a newer minor applied by RDS's auto upgrade is only a note",
    config: { engineVersion: "16.4" },
    observe: (p) => {
      p.engineVersion = "16.6";
    },
    note: /RDS applied a minor upgrade/,
  },
  {
    name: "an engine change is refused with the reason",
    config: { engine: "mysql" },
    observe: (p) => {
      p.engine = "postgres";
      p.engineVersion = "16.4";
    },
    refused: { field: "engine", reason: /cannot change an instance's engine.*dump and restore/ },
  },
  {
    name: "a new identifier is an outage",
    observe: (p) => {
      p.name = "my-app-old-db";
    },
    change: { field: "name", impact: "outage", resource: "my-app-old-db", reason: /endpoint changes/ },
  },
  {
    name: "a new subnet group is an outage",
    observe: (p) => {
      p.subnetGroup = "default";
    },
    change: { field: "subnetGroup", impact: "outage" },
  },
  {
    name: "a new port is a restart",
    config: { port: 6432 },
    observe: (p) => {
      p.port = 5432;
    },
    change: { field: "port", impact: "restart" },
  },
  {
    name: "storage that grows by 10% or more changes online",
    config: { storage: { allocatedGiB: 50 } },
    observe: (p) => {
      p.storage.allocatedGiB = 20;
      p.lastStorageChangeAt = "2025-03-10T05:00:00Z";
    },
    change: { field: "storage.allocatedGiB", impact: "none", reason: /20 to 50 GiB online/ },
  },
  {
    name: "storage that grows by less than 10% is refused",
    config: { storage: { allocatedGiB: 105, maxAllocatedGiB: 200 } },
    observe: (p) => {
      p.storage.allocatedGiB = 100;
    },
    refused: { field: "storage.allocatedGiB", reason: /at least 10%.*at least 110 GiB/ },
  },
  {
    name: "storage growth within 6 hours of the last storage change is refused, saying when it is allowed",
    config: { storage: { allocatedGiB: 50 } },
    observe: (p) => {
      p.storage.allocatedGiB = 20;
      p.lastStorageChangeAt = "2025-03-10T08:30:00Z";
    },
    refused: { field: "storage.allocatedGiB", reason: /allowed from 2025-03-10 14:30 UTC/ },
  },
  {
    name: "smaller storage is refused with the reason",
    config: { storage: { allocatedGiB: 20, autoscaling: false, maxAllocatedGiB: null } },
    observe: (p) => {
      p.storage.allocatedGiB = 50;
      p.storage.maxAllocatedGiB = null;
    },
    refused: {
      field: "storage.allocatedGiB",
      reason: /RDS cannot shrink storage: restore a snapshot into a smaller new instance/,
    },
  },
  {
    name: "storage grown by autoscaling is a note, not a shrink",
    observe: (p) => {
      p.storage.allocatedGiB = 35;
    },
    note: /storage autoscaling has grown the volume to 35 GiB/,
  },
  {
    name: "a new storage type changes online, with the long optimization said",
    config: { storage: { type: "gp3" } },
    observe: (p) => {
      p.storage.type = "gp2";
      p.storage.iops = 100;
      p.storage.throughputMiBps = null;
    },
    change: { field: "storage.type", impact: "none", reason: /optimizes the volume, which can take hours/ },
  },
  {
    name: "a storage change while the volume is optimizing is refused",
    config: { storage: { type: "gp3" } },
    observe: (p) => {
      p.storage.type = "gp2";
      p.status = "storage-optimization";
    },
    refused: { field: "storage.type", reason: /still optimizing/ },
  },
  {
    name: "provisioned IOPS change online",
    config: { storage: { type: "io1", allocatedGiB: 200, iops: 5000, maxAllocatedGiB: 400 } },
    observe: (p) => {
      p.storage.iops = 3000;
    },
    change: { field: "storage.iops", impact: "none" },
  },
  {
    name: "gp3 throughput changes online",
    config: { storage: { allocatedGiB: 400, iops: 12000, throughputMiBps: 1000, maxAllocatedGiB: 1000 } },
    observe: (p) => {
      p.storage.throughputMiBps = 500;
    },
    change: { field: "storage.throughputMiBps", impact: "none" },
  },
  {
    name: "a new autoscaling limit changes online",
    config: { storage: { maxAllocatedGiB: 200 } },
    observe: (p) => {
      p.storage.maxAllocatedGiB = 100;
    },
    change: { field: "storage.maxAllocatedGiB", impact: "none" },
  },
  {
    name: "an autoscaling limit under 110% of the allocated size is refused",
    config: { storage: { maxAllocatedGiB: 100 } },
    observe: (p) => {
      p.storage.allocatedGiB = 95;
      p.storage.maxAllocatedGiB = 200;
    },
    refused: { field: "storage.maxAllocatedGiB", reason: /at least 105/ },
  },
  {
    name: "Performance Insights on is online",
    observe: (p) => {
      p.performanceInsights = { enabled: false, retentionDays: null };
    },
    change: { field: "performanceInsights.enabled", impact: "none" },
  },
  {
    name: "log exports change online",
    observe: (p) => {
      p.logExports = ["postgresql"];
    },
    change: { field: "logExports", impact: "none" },
  },
  {
    name: "a new retention period is online",
    config: { backup: { retentionDays: 14 } },
    observe: (p) => {
      p.backupRetentionDays = 7;
    },
    change: { field: "backup.retentionDays", impact: "none" },
  },
  {
    name: "turning backups on is an outage",
    observe: (p) => {
      p.backupRetentionDays = 0;
    },
    change: { field: "backup.retentionDays", impact: "outage", reason: /offline briefly/ },
  },
  {
    name: "turning backups off is an outage that loses point-in-time restore",
    config: { backup: { retentionDays: 0 } },
    observe: (p) => {
      p.backupRetentionDays = 7;
    },
    change: {
      field: "backup.retentionDays",
      impact: "outage",
      reason: /point-in-time restore is no longer possible/,
    },
  },
  {
    name: "turning backups off while replicas exist is refused",
    config: { backup: { retentionDays: 0 } },
    observe: (p, o) => {
      p.backupRetentionDays = 7;
      o.replicas = [
        { ...p, name: "my-app-prod-db-replica-1", role: "replica", sourceName: "my-app-prod-db" },
      ];
    },
    refused: { field: "backup.retentionDays", reason: /remove the replicas first/ },
  },
  {
    name: "windows, deletion protection and auto minor upgrades change online",
    config: { maintenanceWindow: "sat:04:30-sat:05:30" },
    observe: (p) => {
      p.maintenanceWindow = "sun:04:30-sun:05:30";
    },
    change: { field: "maintenanceWindow", impact: "none" },
  },
  {
    name: "a new backup window is online",
    was: {},
    config: { backup: { window: "02:00-03:00" } },
    observe: () => {},
    change: { field: "backup.window", impact: "none" },
  },
  {
    name: "deletion protection off is online",
    was: {},
    config: { deletionProtection: false },
    observe: () => {},
    change: { field: "deletionProtection", impact: "none" },
  },
  {
    name: "Multi-AZ on is online, with the performance cost said",
    observe: (p) => {
      p.multiAz = false;
    },
    change: { field: "multiAz", impact: "none", reason: /write latency may rise/ },
  },
  {
    name: "Multi-AZ off is online",
    config: { multiAz: false },
    observe: (p) => {
      p.multiAz = true;
    },
    change: { field: "multiAz", impact: "none" },
  },
  {
    name: "encrypting an unencrypted instance is refused without --allow-replace",
    observe: (p) => {
      p.storage.encrypted = false;
      p.storage.kmsKeyId = null;
    },
    refused: { field: "storage.encrypted", reason: /--allow-replace/ },
  },
  {
    name: "encrypting an unencrypted instance is a replace with --allow-replace",
    observe: (p) => {
      p.storage.encrypted = false;
      p.storage.kmsKeyId = null;
    },
    opts: { allowReplace: true },
    change: { field: "storage.encrypted", impact: "replace", reason: /snapshot, encrypted copy/ },
  },
  {
    name: "decrypting is refused",
    was: {},
    config: { storage: { encrypted: false } },
    observe: () => {},
    refused: { field: "storage.encrypted", reason: /cannot decrypt/ },
  },
  {
    name: "a new KMS key is refused without --allow-replace",
    config: { storage: { kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/2222-new" } },
    observe: (p) => {
      p.storage.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1111-old";
    },
    refused: { field: "storage.kmsKeyId", reason: /cannot change the KMS key/ },
  },
  {
    name: "a KMS alias in the configuration is not taken for a new key against the ARN RDS reports",
    config: { storage: { kmsKeyId: "alias/my-key" } },
    observe: (p) => {
      p.storage.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1111-2222";
    },
  },
  {
    name: "a KMS key id matches the ARN RDS reports",
    config: { storage: { kmsKeyId: "1111-2222" } },
    observe: (p) => {
      p.storage.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/1111-2222";
    },
  },
  {
    name: "parameters waiting for a reboot are a note",
    observe: (p) => {
      p.pendingModifications = { parameterApplyStatus: "pending-reboot" };
    },
    note: /waiting for a reboot/,
  },
  {
    name: "a static parameter is a restart",
    observe: (_p, o) => {
      o.parameterGroup!.parameters.shared_preload_libraries = "";
    },
    change: { field: "parameters.shared_preload_libraries", impact: "restart", reason: /next reboot/ },
  },
  {
    name: "a dynamic parameter applies at once",
    was: {},
    config: { slowQueryMs: 500 },
    observe: () => {},
    change: { field: "parameters.log_min_duration_statement", impact: "none" },
  },
  {
    name: "a class change already pending in the maintenance window is a note",
    config: { instanceClass: "db.t3.small" },
    observe: (p) => {
      p.instanceClass = "db.t3.micro";
      p.pendingModifications = { DBInstanceClass: "db.t3.small" };
    },
    note: /already pending in the maintenance window/,
  },
  {
    name: "a pending change under our own field name is a note too",
    config: { storage: { allocatedGiB: 50 } },
    observe: (p) => {
      p.storage.allocatedGiB = 20;
      p.pendingModifications = { "storage.allocatedGiB": 50 };
    },
    note: /storage.allocatedGiB → 50 is already pending/,
  },
];

describe("diff: one setting at a time, by RDS's rules", () => {
  it.each(cases)("$name", (c) => {
    const desired = deriveDesired(makeConfig(c.config), "aws");
    const observed = observedFrom(deriveDesired(makeConfig(c.was ?? c.config), "aws"));
    c.observe(observed.primary!, observed);
    const plan = diff(desired, observed, { now: NOW, allowReplace: c.opts?.allowReplace });
    const instanceChanges = plan.changes.filter((x) => x.kind === "instance" || x.kind === "parameter-group");
    if (c.change) {
      expect(instanceChanges.map(brief)).toEqual([
        {
          resource: c.change.resource ?? expect.any(String),
          action: "update",
          field: c.change.field,
          impact: c.change.impact,
        },
      ]);
      if (c.change.reason) expect(instanceChanges[0].reason).toMatch(c.change.reason);
    } else {
      expect(instanceChanges).toEqual([]);
    }
    if (c.refused) {
      expect(plan.refused.map((r) => r.field)).toEqual([c.refused.field]);
      expect(plan.refused[0].reason).toMatch(c.refused.reason);
    } else {
      expect(plan.refused).toEqual([]);
    }
    if (c.note) expect(plan.notes.join("\n")).toMatch(c.note);
  });
});

describe("diff: related changes", () => {
  it("a port change also moves the security group rule and the EB wiring", () => {
    const plan = planFor(makeConfig({ port: 6432 }), (_o, p) => {
      p.port = 5432;
    });
    expect(plan.changes.map((c) => `${c.kind} ${c.field}`)).toEqual([
      "security-group-rule port",
      "instance port",
      "eb-environment properties",
    ]);
    expect(plan.changes[2].to).toEqual(["DB_PORT"]);
  });

  it("an instance off its status says so", () => {
    const plan = planFor(makeConfig(), (_o, p) => {
      p.status = "stopped";
    });
    expect(plan.notes.join("\n")).toMatch(/stopped: RDS changes nothing on a stopped instance/);
  });

  it("a single-AZ primary's first replica warns about the I/O pause", () => {
    const plan = planFor(makeConfigWithReplicas({ multiAz: false }), (o) => {
      o.replicas = [];
    });
    expect(plan.changes.find((c) => c.kind === "replica")?.reason).toMatch(/I\/O pauses briefly/);
  });
});

describe("diff: replicas", () => {
  const replicaOf = (
    p: ObservedInstance,
    n: number,
    extra: Partial<ObservedInstance> = {},
  ): ObservedInstance => ({
    ...p,
    name: `my-app-prod-db-replica-${n}`,
    role: "replica",
    multiAz: false,
    deletionProtection: false,
    backupRetentionDays: 0,
    sourceName: "my-app-prod-db",
    ...extra,
  });

  it("creates the missing replicas, a lag alarm for each, and rewires EB", () => {
    const plan = planFor(makeConfigWithReplicas({ replicas: { count: 2, min: 2, max: 2 } }), (o) => {
      o.replicas = [];
      o.alarms = o.alarms!.filter((a) => !a.name.endsWith("-lag"));
    });
    expect(plan.changes.map(brief)).toEqual([
      { resource: "my-app-prod-db-replica-1", action: "create", field: undefined, impact: "none" },
      { resource: "my-app-prod-db-replica-2", action: "create", field: undefined, impact: "none" },
      { resource: "my-app-prod-db-replica-1-lag", action: "create", field: undefined, impact: "none" },
      { resource: "my-app-prod-db-replica-2-lag", action: "create", field: undefined, impact: "none" },
      { resource: "my-app-prod", action: "update", field: "properties", impact: "restart" },
    ]);
    expect(plan.changes[4].to).toEqual(["DB_REPLICA_HOSTS"]);
  });

  it("removes replicas beyond the count, newest first, after the EB wiring and their alarms", () => {
    const plan = planFor(makeConfigWithReplicas({ replicas: { count: 1, min: 1, max: 1 } }), (o, p) => {
      o.replicas = [1, 2, 3].map((n) => replicaOf(p, n));
      o.alarms!.push(
        {
          name: "my-app-prod-db-replica-2-lag",
          threshold: 30,
          instance: "my-app-prod-db-replica-2",
          state: "OK",
        },
        {
          name: "my-app-prod-db-replica-3-lag",
          threshold: 30,
          instance: "my-app-prod-db-replica-3",
          state: "OK",
        },
      );
    });
    const order = plan.changes.map((c) => `${c.action} ${c.resource}`);
    expect(order.slice(0, 1)).toEqual(["update my-app-prod"]);
    expect(new Set(order.slice(1, 3))).toEqual(
      new Set(["delete my-app-prod-db-replica-2-lag", "delete my-app-prod-db-replica-3-lag"]),
    );
    expect(order.slice(3)).toEqual(["delete my-app-prod-db-replica-3", "delete my-app-prod-db-replica-2"]);
    const del = plan.changes.filter((c) => c.kind === "replica");
    expect(del.every((c) => c.impact === "none")).toBe(true);
    expect(del[0].reason).toMatch(/no data of its own/);
  });

  it("leaves a count the autoscaler chose within [min, max], with a note", () => {
    const plan = planFor(makeConfigWithReplicas({ replicas: { count: 1, min: 1, max: 3 } }), (o, p) => {
      o.replicas = [1, 2, 3].map((n) => replicaOf(p, n));
      o.alarms!.push(
        {
          name: "my-app-prod-db-replica-2-lag",
          threshold: 30,
          instance: "my-app-prod-db-replica-2",
          state: "OK",
        },
        {
          name: "my-app-prod-db-replica-3-lag",
          threshold: 30,
          instance: "my-app-prod-db-replica-3",
          state: "OK",
        },
      );
    });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.join("\n")).toMatch(/autoscaling keeps between 1 and 3/);
  });

  it("brings a count above the autoscaling maximum back to it", () => {
    const plan = planFor(makeConfigWithReplicas({ replicas: { count: 1, min: 1, max: 2 } }), (o, p) => {
      o.replicas = [1, 2, 3].map((n) => replicaOf(p, n));
    });
    expect(plan.changes.filter((c) => c.kind === "replica").map((c) => `${c.action} ${c.resource}`)).toEqual([
      "delete my-app-prod-db-replica-3",
    ]);
  });

  it("removes every replica when replicas are turned off", () => {
    const plan = planFor(makeConfig(), (o, p) => {
      o.replicas = [replicaOf(p, 1)];
    });
    expect(plan.changes.filter((c) => c.kind === "replica").map((c) => c.action)).toEqual(["delete"]);
  });

  it("a new replica class is an outage of that replica only", () => {
    const plan = planFor(makeConfigWithReplicas({ replicas: { instanceClass: "db.t3.small" } }), (o) => {
      o.replicas[0].instanceClass = "db.t3.micro";
    });
    expect(plan.changes.map(brief)).toEqual([
      { resource: "my-app-prod-db-replica-1", action: "update", field: "instanceClass", impact: "outage" },
    ]);
    expect(plan.changes[0].reason).toMatch(/unavailable for reads/);
  });

  it("fills the lowest free replica number", () => {
    const plan = planFor(makeConfigWithReplicas({ replicas: { count: 2, min: 2, max: 2 } }), (o, p) => {
      o.replicas = [replicaOf(p, 2)];
    });
    expect(plan.changes.filter((c) => c.kind === "replica").map((c) => c.resource)).toEqual([
      "my-app-prod-db-replica-1",
    ]);
  });

  it("leaves a replica ebdb did not make alone", () => {
    const plan = planFor(makeConfig(), (o, p) => {
      o.replicas = [replicaOf(p, 1, { name: "analytics-replica" })];
    });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.join("\n")).toMatch(/analytics-replica is a replica ebdb did not make/);
  });
});

describe("diff: AWS resources around the instance", () => {
  it("updates an alarm whose threshold differs from the configuration", () => {
    const plan = planFor(makeConfig({ storage: { allocatedGiB: 20 } }), (o) => {
      o.alarms!.find((a) => a.name === "my-app-prod-db-low-storage")!.threshold = 1;
    });
    expect(plan.changes.map(brief)).toEqual([
      { resource: "my-app-prod-db-low-storage", action: "update", field: "threshold", impact: "none" },
    ]);
  });

  it("attaches the client security group to EB, announcing the rolling update", () => {
    const plan = planFor(makeConfig(), (o) => {
      o.clientSecurityGroup!.attachedToEb = false;
    });
    expect(plan.changes.map(brief)).toEqual([
      { resource: "my-app-prod", action: "update", field: "securityGroups", impact: "restart" },
    ]);
    expect(plan.changes[0].reason).toMatch(/rolling update/);
  });

  it("restores the instance role policy and missing EB properties", () => {
    const plan = planFor(makeConfig(), (o) => {
      o.eb!.instanceRolePolicy = false;
      delete o.eb!.properties.DB_NAME;
    });
    expect(plan.changes.map((c) => `${c.action} ${c.kind}`)).toEqual([
      "create iam-policy",
      "update eb-environment",
    ]);
    expect(plan.changes[1].to).toEqual(["DB_NAME"]);
  });

  it("subscribes the alarm e-mail, and creates and removes the proxy", () => {
    const on = planFor(makeConfig({ alarmEmail: "ops@example.com", rdsProxy: true }), (o) => {
      o.topic!.subscriptions = [];
      o.proxy = null;
    });
    expect(on.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(["create proxy", "update topic"]);
    const off = planFor(makeConfig(), (o) => {
      o.proxy = { name: "my-app-prod-db-proxy" };
    });
    expect(off.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(["delete proxy"]);
  });
});

describe("diff: target-reported drift", () => {
  it("merges the AWS target's drift into the plan, once, in order", () => {
    const plan = planFor(makeConfig({ port: 6432 }), (o, p) => {
      p.port = 5432;
      o.dbSecurityGroup!.ingressFrom = [];
      o.drift = [
        {
          resource: "my-app-prod-db-sg",
          kind: "security-group-rule",
          action: "update",
          field: "ingressFrom",
          impact: "none",
          reason: "dup",
        },
        {
          resource: "my-app/prod/db-password",
          kind: "secret",
          action: "update",
          field: "value",
          impact: "none",
          reason: "host",
        },
      ];
    });
    expect(plan.changes.map((c) => `${c.kind} ${c.field}`)).toEqual([
      "secret value",
      "security-group-rule ingressFrom",
      "instance port",
      "eb-environment properties",
    ]);
  });
});

describe("diff: a stopped replica past the count", () => {
  it("is deleted, not started first, and the plan says no replica is left for its reads", () => {
    const withOne = deriveDesired(makeConfigWithReplicas(), "local");
    const plan = planFor(
      makeConfig(),
      (o) => {
        const r = observedFrom(withOne).replicas[0];
        o.replicas = [r];
        o.drift = [
          {
            resource: r.name,
            kind: "replica",
            action: "update",
            field: "state",
            from: "stopped",
            to: "running",
            impact: "none",
            reason: `Starts ${r.name}: it was stopped`,
          },
        ];
      },
      { target: "local" },
    );
    const mine = plan.changes.filter((c) => c.kind === "replica");
    expect(mine.map((c) => `${c.action} ${c.field ?? ""}`)).toEqual(["delete "]);
    expect(mine[0].reason).toContain("no replica is left, so reads sent to it fail");
  });
});

describe("diff: gp3 performance follows the volume's actual size (RDS: 3,000/125 below 400 GiB, 12,000/500 from it)", () => {
  const storageFields = (plan: Plan) =>
    plan.changes.filter((c) => c.field?.startsWith("storage.")).map((c) => `${c.field} ${c.to}`);

  it("asks nothing when autoscaling took the volume past 400 GiB and RDS raised the baseline", () => {
    const plan = planFor(makeConfig({ storage: { allocatedGiB: 100, maxAllocatedGiB: 1000 } }), (_o, p) => {
      Object.assign(p.storage, { allocatedGiB: 450, iops: 12000, throughputMiBps: 500 });
    });
    expect(storageFields(plan)).toEqual([]);
    expect(plan.refused).toEqual([]);
  });

  it("grows past 400 GiB with the size alone, saying what RDS raises by itself", () => {
    const plan = planFor(makeConfig({ storage: { allocatedGiB: 500, maxAllocatedGiB: 1000 } }), (_o, p) => {
      Object.assign(p.storage, { allocatedGiB: 100, iops: 3000, throughputMiBps: 125 });
    });
    expect(storageFields(plan)).toEqual(["storage.allocatedGiB 500"]);
    expect(plan.changes[0].reason).toMatch(
      /raises its baseline from 3,000 to 12,000 IOPS and from 125 to 500 MiB\/s/,
    );
  });

  it("asks for what the user set, and for the baseline only to undo provisioned performance", () => {
    const set = planFor(
      makeConfig({ storage: { allocatedGiB: 500, iops: 16000, maxAllocatedGiB: 1000 } }),
      (_o, p) => {
        Object.assign(p.storage, { allocatedGiB: 500, iops: 12000, throughputMiBps: 500 });
      },
    );
    expect(storageFields(set)).toEqual(["storage.iops 16000"]);
    const unset = planFor(makeConfig({ storage: { allocatedGiB: 400, maxAllocatedGiB: 1000 } }), (_o, p) => {
      Object.assign(p.storage, { allocatedGiB: 600, iops: 16000, throughputMiBps: 1000 });
    });
    expect(storageFields(unset)).toEqual(["storage.iops 12000", "storage.throughputMiBps 500"]);
  });
});
