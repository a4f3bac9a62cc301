import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Desired } from "../../../src/model/desired-types.js";
import { autoscaleNames } from "../../../src/targets/aws/autoscale-names.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

/**
 * `up` deploys the read-replica autoscaler when autoscaling is on (replicas enabled, min < max):
 * its Lambda function, run each minute by EventBridge Scheduler under a role allowed only what the
 * controller calls, and the private hosted zone of the reader record. The schedule then runs the
 * bundled handler (in the fake's Lambda runtime, its calls authorised by that role); `autoscale
 * status` shows it; `destroy` removes it. One world shared by the cases, in order.
 */

let fake: FakeAws;
let desired: Desired;
const n = autoscaleNames("my-app-prod-db");
const fnKey = `us-east-1|${n.functionName}`;

beforeAll(() => {
  ({ fake } = world());
  desired = desiredOf({ deletionProtection: false, replicas: { enabled: true, count: 1, min: 1, max: 3 } });
});
afterAll(() => fake.uninstall());

const zone = () => [...fake.state.route53.zones.values()].find((z) => z.name === `${n.zoneName}.`);
const record = () =>
  (zone()?.records ?? [])
    .filter((r) => r.Name === `${n.readerHost}.`)
    .map((r) => `${r.SetIdentifier}:${r.Weight}`);

describe("the AWS autoscaler's deployment", () => {
  it("is in the plan with what it costs", async () => {
    const { plan } = await planOf(fake, desired);
    const ours = plan.changes.filter((c) => c.kind === "autoscaler");
    expect(ours.map((c) => [c.resource, c.action, c.impact])).toEqual([
      [n.functionName, "create", "none"],
      [n.zoneName, "create", "none"],
    ]);
    expect(ours[0].reason).toMatch(
      /every minute by EventBridge Scheduler.*about \$\d+\.\d\d a month at 3 replicas/,
    );
    expect(ours[1].reason).toContain(n.readerHost);
    // It comes after the database it acts on.
    expect(plan.changes.at(-1)?.kind).toBe("autoscaler");
  });

  it("up deploys function, schedule, least-privilege role and zone, and its first run writes the record", async () => {
    await up(fake, desired);
    const fn = fake.state.serverless.functions.get(fnKey)!;
    expect(fn).toMatchObject({
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      reservedConcurrency: 1,
      state: "Active",
    });
    const sched = [...fake.state.serverless.schedules.values()][0];
    expect(sched).toMatchObject({ expression: "rate(1 minute)", state: "ENABLED", target: { Arn: fn.arn } });
    expect(zone()?.privateZone).toBe(true);
    expect(fake.state.serverless.logGroups.get(`us-east-1|${n.logGroup}`)?.retentionDays).toBe(30);
    const policy = JSON.parse(fake.state.iam.roles.get(n.roleName)!.policies.get(n.rolePolicy)!);
    const del = policy.Statement.find((s: { Action: string }) => s.Action === "rds:DeleteDBInstance");
    expect(del.Resource).toMatch(/:db:my-app-prod-db-replica-\*$/);
    // Its first run: the replica just made is settling, so the record holds the primary alone (weight 0).
    expect(fn.invocations).toHaveLength(1);
    expect(fn.invocations[0].error).toBeNull();
    expect(record()).toEqual(["primary:0"]);
  });

  it("a second up finds it current and changes nothing", async () => {
    const { plan } = await planOf(fake, desired);
    expect(plan.changes.filter((c) => c.kind === "autoscaler")).toEqual([]);
  });

  it("runs each minute as its role allows, puts the settled replica in the record, and logs its decisions", async () => {
    await fake.fireSchedules(fake.clock.now().getTime() + 6 * 60_000);
    const sched = [...fake.state.serverless.schedules.values()][0];
    expect(sched.runs.length).toBe(6);
    expect(sched.runs.every((r) => r.error === null)).toBe(true);
    const fn = fake.state.serverless.functions.get(fnKey)!;
    expect(fn.invocations.every((i) => i.error === null)).toBe(true);
    expect(record()).toEqual(["my-app-prod-db-replica-1:1", "primary:0"]);
    const lines = fake.state.serverless.logGroups
      .get(`us-east-1|${n.logGroup}`)!
      .events.map((e) => e.message);
    expect(lines.some((l) => l.includes('"kind":"reader"') && l.includes("my-app-prod-db-replica-1"))).toBe(
      true,
    );
  });

  it("a changed setting updates the function in place, and then it is current again", async () => {
    const tighter = desiredOf({
      deletionProtection: false,
      replicas: { enabled: true, count: 1, min: 1, max: 3, targetCpu: 50 },
    });
    const { plan } = await planOf(fake, tighter);
    expect(plan.changes.map((c) => [c.kind, c.action, c.reason])).toEqual([
      ["autoscaler", "update", expect.stringMatching(/its settings differ/)],
    ]);
    await up(fake, tighter);
    const fn = fake.state.serverless.functions.get(fnKey)!;
    expect(JSON.parse(fn.environment.EBDB_AUTOSCALE).policy.targetCpuPercent).toBe(50);
    expect((await planOf(fake, tighter)).plan.changes).toEqual([]);
    await up(fake, desired);
  });

  it("autoscale status shows the runner deployed and its last decisions", async () => {
    const s = await targetOn(fake).autoscaler!(desired).status();
    expect(s.runner).toMatchObject({ kind: "aws-lambda", state: "running", intervalSeconds: 60 });
    expect(s.runner.detail).toContain("rate(1 minute)");
    expect(s.reader).toMatchObject({ host: n.readerHost, members: ["my-app-prod-db-replica-1"] });
    expect(s.replicas).toMatchObject([
      { name: "my-app-prod-db-replica-1", state: "ready", createdByAutoscaler: false },
    ]);
    expect(s.decisions.length).toBeGreaterThanOrEqual(1);
    expect(s.decisions.at(-1)?.reason).toBeTruthy();
    expect(s.decisions.at(-1)?.action).toBe("none");
    expect(s.runner.lastStepAt).not.toBeNull();
  });

  it("destroy removes every piece of it", async () => {
    await targetOn(fake).destroy(
      desired,
      { skipFinalSnapshot: true },
      new (await import("../../../src/io.js")).RecordingIoHost(),
    );
    expect(fake.state.serverless.functions.size).toBe(0);
    expect(fake.state.serverless.schedules.size).toBe(0);
    expect(fake.state.serverless.logGroups.size).toBe(0);
    expect(zone()).toBeUndefined();
    expect(fake.state.iam.roles.has(n.roleName)).toBe(false);
    expect(fake.state.iam.roles.has(n.schedulerRoleName)).toBe(false);
  });
});
