import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunnerEvent } from "../../../src/autoscale/runner-types.js";
import type { StepResult } from "../../../src/targets/aws/autoscale-controller.js";
import { handler } from "../../../src/targets/aws/autoscale-handler.js";
import { TAG } from "../../../src/targets/aws/autoscale-tags.js";
import {
  draining,
  MINUTE,
  PRIMARY,
  type RunnerWorld,
  readerRecord,
  replicasOf,
  reportLoad,
  runnerWorld,
} from "./autoscale-world.js";

/**
 * The AWS runner (the Lambda handler, as EventBridge Scheduler runs it each minute) against the AWS
 * fake, across three simulated hours: quiet reads, a surge that needs the maximum, quiet again. On
 * the way RDS refuses one creation, one replica fails while being created, and the replica `up` made
 * falls behind for a few minutes. One run shared by the cases, which each check one promise.
 */

const MINUTES = 190;
/** Read demand in vCPUs (a db.t3.small replica has 2): 25% of one replica, then 160%, then 25%. */
const demand = (m: number) => (m >= 20 && m < 80 ? 3.2 : 0.5);
const LAGGING = { from: 100, to: 104, replica: `${PRIMARY}-replica-1` };

interface Minute {
  at: number;
  demand: number;
  replicas: { id: string; status: string; lag: number; draining: boolean }[];
  members: string[];
  expected: string[];
  result: StepResult;
}

let w: RunnerWorld;
const timeline: Minute[] = [];
const events: RunnerEvent[] = [];
let failedOnPurpose: string | null = null;
let failedMinute = -1;

beforeAll(async () => {
  w = await runnerWorld();
  process.env.AWS_REGION = w.fake.region;
  process.env.EBDB_AUTOSCALE = JSON.stringify(w.cfg);
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => {
    events.push(JSON.parse(line) as RunnerEvent);
  });
  // RDS has no capacity for the first replica the runner asks for.
  w.fake.faults.fail({
    command: "CreateDBInstanceReadReplica",
    error: "InsufficientDBInstanceCapacityFault",
    message:
      "Cannot create a database instance because there is not enough capacity in the Availability Zone.",
  });
  w.fake.resetCalls();
  const since = new Map<string, number>();
  let members: string[] = [];
  const start = w.fake.clock.now().getTime();
  for (let m = 0; m < MINUTES; m++) {
    const at = start + m * MINUTE;
    // The minute that just ended, on the replicas the record held during it.
    if (m > 0) reportLoad(w, members, demand(m - 1), at - MINUTE);
    w.fake.clock.advanceTo(at);
    const lagging = w.fake.state.region().rds.instances.get(LAGGING.replica)!;
    lagging.replicaLag = m >= LAGGING.from && m < LAGGING.to ? 120 : 0;
    // A replica of the runner's fails while being created (RDS's own `failed` status).
    const creating = replicasOf(w.fake).find((i) => i.status === "creating" && i.id !== LAGGING.replica);
    if (!failedOnPurpose && creating && m >= 30) {
      failedOnPurpose = creating.id;
      failedMinute = m;
      creating.status = "failed";
      creating.epoch++;
    }
    for (const i of replicasOf(w.fake))
      if (i.status === "available" && i.replicaLag <= w.cfg.maxLagSeconds && !since.has(i.id))
        since.set(i.id, at);
    const result = await handler({ scheduledTime: new Date(at).toISOString() });
    members = readerRecord(w).members;
    const now = replicasOf(w.fake).filter((i) => i.status !== "deleting");
    timeline.push({
      at,
      demand: demand(m),
      replicas: now.map((i) => ({ id: i.id, status: i.status, lag: i.replicaLag, draining: draining(i) })),
      members,
      expected: now
        .filter(
          (i) =>
            i.status === "available" &&
            i.replicaLag <= w.cfg.maxLagSeconds &&
            (since.get(i.id) ?? Number.POSITIVE_INFINITY) <= at - 3 * MINUTE &&
            !draining(i),
        )
        .map((i) => i.id)
        .sort(),
      result,
    });
  }
  log.mockRestore();
}, 120_000);

afterAll(() => {
  w?.fake.uninstall();
  delete process.env.EBDB_AUTOSCALE;
});

/** The runner's actions from the calls it made: creations, and removals (the draining tag). */
function actions(): { kind: "out" | "in"; at: number }[] {
  const out = w.fake.calls
    .filter((c) => c.command === "CreateDBInstanceReadReplica")
    .map((c) => ({ kind: "out" as const, at: c.time.getTime() }));
  const inn = w.fake.calls
    .filter(
      (c) =>
        c.command === "AddTagsToResource" &&
        (c.input.Tags as { Key: string }[]).some((t) => t.Key === TAG.draining),
    )
    .map((c) => ({ kind: "in" as const, at: c.time.getTime() }));
  const all = [...out, ...inn].sort((a, b) => a.at - b.at);
  return all.filter((a, i) => i === 0 || a.at !== all[i - 1].at || a.kind !== all[i - 1].kind);
}

const short = (id: string) => id.replace(`${PRIMARY}-`, "");
const at = (t: Minute) => `minute ${Math.round((t.at - timeline[0].at) / MINUTE)}`;

describe("the AWS autoscaling runner on the fake, minute by minute", () => {
  it("adds replicas when reads saturate and removes its own when they stop, within min and max", () => {
    const counts = timeline.map((t) => t.replicas.length);
    for (const [k, n] of counts.entries()) {
      expect(n, `${at(timeline[k])}`).toBeGreaterThanOrEqual(w.cfg.policy.minCapacity);
      expect(n, `${at(timeline[k])}`).toBeLessThanOrEqual(w.cfg.policy.maxCapacity);
    }
    const peak = timeline.findIndex((t) => t.members.length === w.cfg.policy.maxCapacity);
    expect(peak, "the record held the maximum").toBeGreaterThan(20);
    // 3 min at the ceiling, a refused creation and a failed one (each a 5 min cooldown), 12 min of
    // creating, 3 of settling: the maximum serves about 35 min after the surge began.
    expect(timeline[peak].at - timeline[20].at, "ready within 40 min of the surge").toBeLessThanOrEqual(
      40 * MINUTE,
    );
    expect(counts.at(-1), "back to the minimum after the surge").toBe(w.cfg.policy.minCapacity);
    // It deleted only replicas it made: never the one `up` made.
    const deleted = w.fake.calls.filter((c) => c.command === "DeleteDBInstance" && !c.error);
    expect(deleted.length).toBeGreaterThanOrEqual(2);
    for (const c of deleted) expect(c.input.DBInstanceIdentifier).not.toBe(`${PRIMARY}-replica-1`);
    expect(replicasOf(w.fake).map((i) => i.id)).toContain(`${PRIMARY}-replica-1`);
  });

  it("waits out its cooldowns: scale-out after any action, scale-in after any action", () => {
    const acts = actions();
    expect(acts.filter((a) => a.kind === "out").length).toBeGreaterThanOrEqual(3);
    expect(acts.filter((a) => a.kind === "in").length).toBeGreaterThanOrEqual(1);
    for (let k = 1; k < acts.length; k++) {
      const wait =
        acts[k].kind === "out" ? w.cfg.policy.scaleOutCooldownSeconds : w.cfg.policy.scaleInCooldownSeconds;
      expect(acts[k].at - acts[k - 1].at, `${acts[k - 1].kind} then ${acts[k].kind}`).toBeGreaterThanOrEqual(
        wait * 1000,
      );
    }
  });

  it("survives a creation RDS refuses and a replica that fails while being created", () => {
    const failed = events.filter((e) => e.kind === "scaling-failed");
    expect(failed.map((e) => e.message).join("\n")).toMatch(
      /Adding .*-replica-\d failed: Cannot create a database instance/,
    );
    expect(failedOnPurpose).not.toBeNull();
    const id = failedOnPurpose!;
    expect(
      timeline.some(
        (t) => t.members.includes(id) && t.replicas.find((r) => r.id === id)?.status === "failed",
      ),
    ).toBe(false);
    expect(
      w.fake.calls.some((c) => c.command === "DeleteDBInstance" && c.input.DBInstanceIdentifier === id),
    ).toBe(true);
    expect(events.some((e) => e.kind === "scale-in" && e.message.includes(`${id} (failed)`))).toBe(true);
    // It still reached the capacity the surge needed, after both failures.
    expect(failedMinute).toBeGreaterThan(0);
    expect(timeline.slice(failedMinute).some((t) => t.members.length === 3)).toBe(true);
  });

  it("keeps the reader record equal to the ready replicas: never one creating, lagging or settling", () => {
    const primaryHost = w.fake.state.region().rds.instances.get(PRIMARY)!;
    for (const t of timeline) {
      expect(t.members.map(short), at(t)).toEqual(t.expected.map(short));
      for (const id of t.members) {
        const r = t.replicas.find((x) => x.id === id)!;
        expect(r.status, `${at(t)} ${id}`).toBe("available");
        expect(r.lag, `${at(t)} ${id}`).toBeLessThanOrEqual(w.cfg.maxLagSeconds);
      }
      expect(t.result.members.sort()).toEqual(t.members);
    }
    // A replica just available waits SETTLE_MINUTES; a lagging one leaves and comes back.
    const joined = (id: string) => timeline.findIndex((t) => t.members.includes(id));
    const available = (id: string) =>
      timeline.findIndex((t) => t.replicas.find((r) => r.id === id)?.status === "available");
    expect(joined(`${PRIMARY}-replica-2`) - available(`${PRIMARY}-replica-2`)).toBe(3);
    const lagging = timeline.slice(LAGGING.from, LAGGING.to);
    expect(lagging.every((t) => !t.members.includes(LAGGING.replica))).toBe(true);
    expect(timeline[LAGGING.to].members).toContain(LAGGING.replica);
    expect(readerRecord(w).fallback).toBe(
      `${PRIMARY}.${w.fake.state.region().rds.endpointSuffix}.${w.fake.region}.rds.amazonaws.com`,
    );
    expect(primaryHost.status).toBe("available");
  });

  it("publishes RDSReaderAverageCPUUtilization: the mean CPU of the replicas in the record", () => {
    const points = w.fake.state
      .region()
      .cloudwatch.metrics.filter(
        (p) => p.namespace === "ebdb/RDS" && p.metricName === "RDSReaderAverageCPUUtilization",
      );
    expect(points.every((p) => p.dimensions.DBInstanceIdentifier === PRIMARY && p.unit === "Percent")).toBe(
      true,
    );
    const surge = points.filter((p) => p.stats?.count === 3 && p.at < timeline[80].at);
    expect(surge.length).toBeGreaterThan(10);
    for (const p of surge) expect(p.value).toBeCloseTo((100 * 3.2) / 6, 1);
  });
});
