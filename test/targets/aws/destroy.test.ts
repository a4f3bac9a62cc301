import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { EB_NAMESPACES, environmentProperties, type FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

describe("destroy", () => {
  it("refuses while deletion protection is on, and says how to turn it off", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    fake.resetCalls();
    const e = await targetOn(fake)
      .destroy(desired, { skipFinalSnapshot: false }, new RecordingIoHost())
      .catch((x) => x);
    expect(e).toMatchObject({ code: "DELETION_PROTECTED", fault: "user" });
    expect(e.hint).toContain("DB_DELETION_PROTECTION=false");
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("removes the EB wiring, the replicas, then the primary after a final snapshot, and leaves the secret recoverable", async () => {
    const w = world();
    fake = w.fake;
    const desired = desiredOf({
      deletionProtection: false,
      replicas: { enabled: true, count: 2 },
      alarmEmail: "ops@example.com",
    });
    await up(fake, desired);
    const password = fake.state.region().rds.instances.get("my-app-prod-db")!.masterPassword;
    const io = new RecordingIoHost();
    await targetOn(fake, io).destroy(desired, { skipFinalSnapshot: false }, io);
    const r = fake.state.region();
    expect([...r.rds.instances.keys()]).toEqual([]);
    const finals = [...r.rds.snapshots.values()].filter((s) => s.type === "manual");
    expect(finals.map((s) => s.id)).toEqual([expect.stringMatching(/^my-app-prod-db-final-\d{12}$/)]);
    const env = [...r.eb.environments.values()][0];
    const props = environmentProperties(env);
    expect(Object.keys(props).filter((k) => k.startsWith("DB_"))).toEqual([]);
    expect(props.NODE_ENV).toBe("production");
    expect(environmentProperties(env, EB_NAMESPACES.secrets)).toEqual({});
    expect(env.options.get(`${EB_NAMESPACES.launch}|SecurityGroups`)).toBe(w.env.instanceSecurityGroupId);
    expect(fake.state.iam.roles.get(w.env.roleName)!.policies.size).toBe(0);
    expect(
      [...r.ec2.securityGroups.values()].filter((g) => g.GroupName.startsWith("my-app-prod-db")),
    ).toEqual([]);
    expect(r.rds.subnetGroups.size).toBe(0);
    expect([...r.rds.parameterGroups.values()].filter((g) => !g.isDefault)).toEqual([]);
    expect(r.cloudwatch.alarms.size).toBe(0);
    expect(r.sns.topics.size).toBe(0);
    const secret = r.secrets.get("my-app/prod/db-password") ?? [...r.secrets.values()][0];
    expect(secret.deletedAt).toBeDefined();
    // Deleting the replicas came before deleting the primary.
    const deletes = fake.calls
      .filter((c) => c.command === "DeleteDBInstance")
      .map((c) => c.input.DBInstanceIdentifier);
    expect(deletes.at(-1)).toBe("my-app-prod-db");

    // A later up restores the secret and keeps its password.
    await up(fake, desired);
    expect(fake.state.region().rds.instances.get("my-app-prod-db")!.masterPassword).toBe(password);
  });

  it("skips the final snapshot when asked, and can run again after an interruption", async () => {
    ({ fake } = world());
    const desired = desiredOf({ deletionProtection: false });
    await up(fake, desired);
    fake.faults.crashAfter(3);
    await targetOn(fake)
      .destroy(desired, { skipFinalSnapshot: true }, new RecordingIoHost())
      .catch(() => undefined);
    fake.faults.reset();
    await targetOn(fake).destroy(desired, { skipFinalSnapshot: true }, new RecordingIoHost());
    const r = fake.state.region();
    expect(r.rds.instances.size).toBe(0);
    expect([...r.rds.snapshots.values()].filter((s) => s.type === "manual")).toEqual([]);
  });
});
