import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { Secret } from "../../../src/model/secret.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const MIN = 60_000;

// The new-user trial (seen locally, the same on AWS): after `ebdb restore`, a new DB_MASTER_PASSWORD
// reached only the primary, and the credentials env hands out failed on the restored instance.
describe("a master password change on AWS", () => {
  it("reaches the instances ebdb restored from the database, says which, and which cannot take it", async () => {
    ({ fake } = world());
    const first = desiredOf({ masterPassword: new Secret("First-password-11") });
    await up(fake, first);
    fake.clock.advance(60 * MIN);
    const io = new RecordingIoHost();
    const target = targetOn(fake, io);
    await target.restore(first, { kind: "latest" }, "my-app-prod-db-pitr", io);
    await target.restore(first, { kind: "latest" }, "my-app-prod-db-parked", io);
    const r = fake.state.region();
    // Stopped to save money: RDS modifies no stopped instance.
    r.rds.instances.get("my-app-prod-db-parked")!.status = "stopped";
    expect(r.rds.instances.get("my-app-prod-db-pitr")!.masterPassword).toBe("First-password-11");

    const second = desiredOf({ masterPassword: new Secret("Second-password-22") });
    const { plan } = await planOf(fake, second);
    const line = plan.changes.find((c) => c.field === "masterPassword")?.reason ?? "";
    expect(line).toContain("on my-app-prod-db and on restored instance my-app-prod-db-pitr (");
    expect(line).toMatch(/my-app-prod-db-parked \(stopped\) keeps the old password/);
    expect(line).not.toContain("Second-password-22");

    await up(fake, second);
    expect(r.rds.instances.get("my-app-prod-db")!.masterPassword).toBe("Second-password-22");
    expect(r.rds.instances.get("my-app-prod-db-pitr")!.masterPassword).toBe("Second-password-22");
    expect(r.rds.instances.get("my-app-prod-db-parked")!.masterPassword).toBe("First-password-11");
    // Done: the next plan has no password change.
    const again = await planOf(fake, second);
    expect(again.plan.changes.filter((c) => c.field === "masterPassword")).toEqual([]);
  });

  it("a restore from a snapshot taken before the change gets the current password, not the snapshot's", async () => {
    ({ fake } = world());
    const first = desiredOf({ masterPassword: new Secret("First-password-11") });
    await up(fake, first);
    const io = new RecordingIoHost();
    const target = targetOn(fake, io);
    await target.snapshots.create(first, "before-change", io);
    const second = desiredOf({ masterPassword: new Secret("Second-password-22") });
    await up(fake, second);
    const r = fake.state.region();
    expect(r.rds.snapshots.get("before-change")!.masterPassword).toBe("First-password-11");
    await target.restore(second, { kind: "snapshot", id: "before-change" }, "my-app-prod-db-old", io);
    expect(r.rds.instances.get("my-app-prod-db-old")).toMatchObject({
      status: "available",
      masterPassword: "Second-password-22",
    });
  });
});
