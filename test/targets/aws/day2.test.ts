import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { EB_NAMESPACES, environmentProperties, type FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const MIN = 60_000;

async function running(opts: Parameters<typeof desiredOf>[0] = {}) {
  ({ fake } = world());
  const desired = desiredOf(opts);
  await up(fake, desired);
  const io = new RecordingIoHost();
  return { desired, io, target: targetOn(fake, io), r: fake.state.region() };
}

const userFault = (code: string) => expect.objectContaining({ code, fault: "user" });

describe("snapshots", () => {
  it("creates, lists and deletes manual snapshots, and refuses what it must not delete", async () => {
    const { desired, io, target, r } = await running();
    const named = await target.snapshots.create(desired, "before-migration", io);
    expect(named).toMatchObject({ id: "before-migration", kind: "manual", status: "available" });
    const dated = await target.snapshots.create(desired, undefined, io);
    expect(dated.id).toMatch(/^my-app-prod-db-manual-\d{14}$/);
    await expect(target.snapshots.create(desired, "before-migration", io)).rejects.toEqual(
      userFault("SNAPSHOT_EXISTS"),
    );
    expect(r.rds.snapshots.get("before-migration")?.tags).toEqual(
      expect.arrayContaining([{ Key: "ebdb:managed", Value: "true" }]),
    );

    const list = await target.snapshots.list(desired);
    expect(list.map((s) => s.kind)).toContain("automated");
    expect(
      list
        .filter((s) => s.kind === "manual")
        .map((s) => s.id)
        .sort(),
    ).toEqual([dated.id, "before-migration"].sort());

    const automated = list.find((s) => s.kind === "automated")!;
    await expect(target.snapshots.remove(desired, automated.id, io)).rejects.toEqual(
      userFault("SNAPSHOT_AUTOMATED"),
    );
    await expect(target.snapshots.remove(desired, "nope", io)).rejects.toEqual(
      userFault("SNAPSHOT_NOT_FOUND"),
    );
    await target.snapshots.remove(desired, "before-migration", io);
    expect(r.rds.snapshots.has("before-migration")).toBe(false);
  });

  it("copies a snapshot to another region, with a key of that region when it is encrypted", async () => {
    const { desired, io, target } = await running();
    await target.snapshots.create(desired, "dr-1", io);
    const copy = target.copySnapshot!;
    await expect(copy(desired, { id: "dr-1", toRegion: "us-west-2" }, io)).rejects.toEqual(
      userFault("KMS_KEY_REQUIRED"),
    );
    await expect(copy(desired, { id: "dr-1", toRegion: "us-east-1", kmsKeyId: "k" }, io)).rejects.toEqual(
      userFault("SAME_REGION"),
    );
    await expect(copy(desired, { id: "missing", toRegion: "us-west-2", kmsKeyId: "k" }, io)).rejects.toEqual(
      userFault("SNAPSHOT_NOT_FOUND"),
    );
    const key = fake.seed.kmsKey({ region: "us-west-2", alias: "alias/dr" });
    const info = await copy(desired, { id: "dr-1", toRegion: "us-west-2", kmsKeyId: "alias/dr" }, io);
    expect(info).toMatchObject({ id: "dr-1-us-west-2", status: "available", kind: "manual" });
    const copied = fake.state.region("us-west-2").rds.snapshots.get("dr-1-us-west-2")!;
    expect(copied).toMatchObject({ encrypted: true, kmsKeyArn: key.arn, sourceRegion: "us-east-1" });
  });
});

describe("restore", () => {
  it("restores to a point in time into a new instance with the source's network and parameters", async () => {
    const { desired, io, target, r } = await running();
    fake.clock.advance(60 * MIN);
    const at = new Date(fake.clock.now().getTime() - 20 * MIN);
    const result = await target.restore(desired, { kind: "time", time: at }, "my-app-prod-db-pitr", io);
    expect(result).toMatchObject({ name: "my-app-prod-db-pitr", port: 5432, restoredTo: at.toISOString() });
    const src = r.rds.instances.get("my-app-prod-db")!;
    const restored = r.rds.instances.get("my-app-prod-db-pitr")!;
    expect(restored).toMatchObject({
      status: "available",
      subnetGroupName: src.subnetGroupName,
      parameterGroupName: src.parameterGroupName,
      vpcSecurityGroupIds: src.vpcSecurityGroupIds,
      instanceClass: src.instanceClass,
      publiclyAccessible: false,
    });
    expect(result.host).toMatch(/^my-app-prod-db-pitr\./);
    // The application still uses the primary.
    const env = [...r.eb.environments.values()][0];
    expect(environmentProperties(env).DB_HOST).toMatch(/^my-app-prod-db\./);
  });

  it("refuses a time outside the restorable window, and a name in use", async () => {
    const { desired, io, target } = await running();
    fake.clock.advance(60 * MIN);
    const later = new Date(fake.clock.now().getTime() + 60 * MIN);
    await expect(target.restore(desired, { kind: "time", time: later }, undefined, io)).rejects.toEqual(
      userFault("RESTORE_TIME_TOO_LATE"),
    );
    const before = new Date("2025-01-01T00:00:00Z");
    await expect(target.restore(desired, { kind: "time", time: before }, undefined, io)).rejects.toEqual(
      userFault("RESTORE_TIME_OUTSIDE"),
    );
    await expect(target.restore(desired, { kind: "latest" }, "my-app-prod-db", io)).rejects.toEqual(
      userFault("NAME_TAKEN"),
    );
    await expect(target.restore(desired, { kind: "snapshot", id: "nope" }, undefined, io)).rejects.toEqual(
      userFault("SNAPSHOT_NOT_FOUND"),
    );
  });

  it("gives restores started in the same minute (even the same second) different default names", async () => {
    const { desired, target, r } = await running();
    fake.clock.advance(30 * MIN);
    // Three restores at once: all see the default name free; RDS takes the first, the others move on.
    const names = (
      await Promise.all(
        [1, 2, 3].map(() => target.restore(desired, { kind: "latest" }, undefined, new RecordingIoHost())),
      )
    ).map((x) => x.name);
    const base = names.find((n) => /^my-app-prod-db-restored-\d{14}$/.test(n))!;
    expect(base).toBeDefined();
    expect(names.sort()).toEqual([base, `${base}-2`, `${base}-3`]);
    for (const n of names) expect(r.rds.instances.get(n)?.status).toBe("available");
  });

  it("restores the latest time or a snapshot, and --switch points the EB environment at it", async () => {
    const { desired, io, target, r } = await running({ replicas: { enabled: true, count: 1 } });
    fake.clock.advance(30 * MIN);
    const latest = await target.restore(desired, { kind: "latest" }, undefined, io);
    expect(latest.name).toMatch(/^my-app-prod-db-restored-\d{14}$/);
    await target.snapshots.create(desired, "snap-a", io);
    const fromSnap = await target.restore(desired, { kind: "snapshot", id: "snap-a" }, "from-snap", io, {
      switch: true,
    });
    expect(r.rds.instances.get("from-snap")?.status).toBe("available");
    const env = [...r.eb.environments.values()][0];
    expect(environmentProperties(env)).toMatchObject({ DB_HOST: fromSnap.host, DB_REPLICA_HOSTS: "" });
    expect(environmentProperties(env, EB_NAMESPACES.secrets).DB_PASSWORD).toBeDefined();
    const warning = io.events.find((e) => e.type === "warning" && /now uses from-snap/.test(e.message));
    expect(warning).toMatchObject({ hint: expect.stringContaining("DB_INSTANCE_IDENTIFIER=from-snap") });
  });
});

describe("replicas", () => {
  it("adds the next replica in another zone and wires it, lists lag, removes the newest", async () => {
    const { desired, io, target, r } = await running({
      replicas: { enabled: true, count: 1, min: 1, max: 3 },
    });
    const added = await target.replicas.add(desired, io);
    expect(added).toMatchObject({ name: "my-app-prod-db-replica-2", role: "replica", state: "available" });
    const one = r.rds.instances.get("my-app-prod-db-replica-1")!;
    const two = r.rds.instances.get("my-app-prod-db-replica-2")!;
    expect(two.az).not.toBe(one.az);
    const env = [...r.eb.environments.values()][0];
    expect(environmentProperties(env).DB_REPLICA_HOSTS.split(",")).toHaveLength(2);
    expect(r.cloudwatch.alarms.has("my-app-prod-db-replica-2-lag")).toBe(true);
    // Within the autoscaling range (1-3): no warning that up would undo it.
    expect(io.messages("warning")).toEqual([]);

    fake.setReplicaLag("my-app-prod-db-replica-2", 12);
    fake.clock.advance(2 * MIN);
    const list = await target.replicas.list(desired);
    expect(list.map((n) => [n.name, n.lagSeconds])).toEqual([
      ["my-app-prod-db-replica-1", 0],
      ["my-app-prod-db-replica-2", 12],
    ]);

    await target.replicas.remove(desired, undefined, io);
    expect(r.rds.instances.has("my-app-prod-db-replica-2")).toBe(false);
    expect(environmentProperties(env).DB_REPLICA_HOSTS.split(",")).toEqual([
      `${one.id}.${r.rds.endpointSuffix}.us-east-1.rds.amazonaws.com:5432`,
    ]);
    expect(r.cloudwatch.alarms.has("my-app-prod-db-replica-2-lag")).toBe(false);
    await expect(target.replicas.remove(desired, "someone-else", io)).rejects.toEqual(
      userFault("NO_SUCH_REPLICA"),
    );
  });

  it("warns that up would undo a replica beyond the configured count, and refuses one without backups", async () => {
    const { desired, io, target } = await running();
    await target.replicas.add(desired, io);
    expect(io.events.find((e) => e.type === "warning")).toMatchObject({
      hint: expect.stringContaining("DB_READ_REPLICA_COUNT=1"),
    });
    fake.uninstall();
    const off = await running({ backup: { retentionDays: 0 } });
    await expect(off.target.replicas.add(off.desired, off.io)).rejects.toEqual(userFault("BACKUPS_OFF"));
  });
});

describe("insights and slowlog", () => {
  it("turns Performance Insights on with a retention, on the primary and its replicas", async () => {
    const { desired, io, target, r } = await running({
      performanceInsights: { enabled: false },
      replicas: { enabled: true, count: 1 },
    });
    await expect(target.enableInsights!(desired, 8, io)).rejects.toEqual(userFault("BAD_RETENTION"));
    await target.enableInsights!(desired, 31, io);
    expect(r.rds.instances.get("my-app-prod-db")).toMatchObject({ piEnabled: true, piRetention: 31 });
    expect(r.rds.instances.get("my-app-prod-db-replica-1")).toMatchObject({
      piEnabled: true,
      piRetention: 31,
    });
    expect(io.events.find((e) => e.type === "warning")).toMatchObject({
      hint: expect.stringContaining("DB_PERFORMANCE_INSIGHTS"),
    });
  });

  it("refuses Performance Insights where RDS has none (MySQL on a micro class)", async () => {
    const { desired, io, target } = await running({
      engine: "mysql",
      performanceInsights: { enabled: false },
    });
    await expect(target.enableInsights!(desired, 7, io)).rejects.toEqual(userFault("INSIGHTS_UNSUPPORTED"));
  });

  it("sets the slow-query threshold in the parameter group, for PostgreSQL and MySQL", async () => {
    const { desired, io, target, r } = await running();
    await target.setSlowQueryMs!(desired, 250, io);
    expect(
      r.rds.parameterGroups.get(desired.parameterGroup.name)!.values.get("log_min_duration_statement")?.value,
    ).toBe("250");
    fake.uninstall();
    const my = await running({ engine: "mysql", performanceInsights: { enabled: false } });
    await my.target.setSlowQueryMs!(my.desired, 1500, my.io);
    const values = my.r.rds.parameterGroups.get(my.desired.parameterGroup.name)!.values;
    expect([values.get("slow_query_log")?.value, values.get("long_query_time")?.value]).toEqual(["1", "1.5"]);
    await my.target.setSlowQueryMs!(my.desired, -1, my.io);
    expect(values.get("slow_query_log")?.value).toBe("0");
  });
});

describe("status", () => {
  it("reports state, endpoints, class, storage, Multi-AZ, restorable time, replica lag, alarms and pending changes", async () => {
    const { desired, target } = await running({ replicas: { enabled: true, count: 1 } });
    fake.clock.advance(30 * MIN);
    fake.putMetric({
      namespace: "AWS/RDS",
      metricName: "FreeStorageSpace",
      dimensions: { DBInstanceIdentifier: "my-app-prod-db" },
      value: 15 * 1024 ** 3,
    });
    fake.setReplicaLag("my-app-prod-db-replica-1", 3);
    fake.setAlarmState("my-app-prod-db-high-cpu", "ALARM");
    await target.scale!(
      desired,
      { instanceClass: "db.t3.small", applyImmediately: false },
      new RecordingIoHost(),
    );
    const s = await target.status(desired);
    expect(s).toMatchObject({
      target: "aws",
      identifier: "my-app-prod-db",
      engine: "postgres",
      engineVersion: "16.4",
      storage: { allocatedGiB: 20, maxAllocatedGiB: 100, usedBytes: 5 * 1024 ** 3 },
      alarmsInAlarm: ["my-app-prod-db-high-cpu"],
      pendingModifications: { DBInstanceClass: "db.t3.small" },
      backups: { enabled: true, retentionDays: 7 },
    });
    expect(s.nodes.map((n) => [n.name, n.role, n.state, n.instanceClass, n.multiAz, n.lagSeconds])).toEqual([
      ["my-app-prod-db", "primary", "available", "db.t3.micro", true, null],
      ["my-app-prod-db-replica-1", "replica", "available", "db.t3.micro", false, 3],
    ]);
    expect(s.nodes[0].host).toMatch(/^my-app-prod-db\./);
    expect(s.backups.latestRestorableTime).not.toBeNull();
    expect(s.backups.earliestRestorableTime).not.toBeNull();
  });
});
