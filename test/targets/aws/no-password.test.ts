import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { Secret } from "../../../src/model/secret.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

function currentPassword(f: FakeAws): string {
  const secret = [...f.state.region().secrets.values()][0];
  return JSON.parse(secret.versions.find((v) => v.stages.includes("AWSCURRENT"))!.value!).password;
}

describe("the password never shows", () => {
  for (const legacyPlatform of [false, true]) {
    it(`in events, plans, observed state, status, connection info or the call log${legacyPlatform ? " (plain EB property)" : ""}`, async () => {
      ({ fake } = world({ legacyPlatform }));
      const desired = desiredOf({ replicas: { enabled: true, count: 1 } });
      const io = new RecordingIoHost();
      const plan = await up(fake, desired, { io });
      const target = targetOn(fake, io);
      const recorded: unknown[] = [plan, io.events, io.questions, fake.calls];
      recorded.push(await target.observe(desired));
      recorded.push((await planOf(fake, desired)).plan);
      recorded.push(await target.status(desired));
      const conn = await target.connection(desired);
      recorded.push(conn, inspect(conn), String(conn.password));
      await target.snapshots.create(desired, "snap-1", io);
      await target.replicas.add(desired, io);
      recorded.push(io.events, fake.calls);

      const password = currentPassword(fake);
      expect(conn.password.reveal()).toBe(password);
      const text = JSON.stringify(recorded);
      expect(text).not.toContain(password);
      expect(inspect(recorded, { depth: 20 })).not.toContain(password);
    });
  }

  it("in errors, even when AWS echoes it in a message", async () => {
    ({ fake } = world());
    const configured = "Configured-Passw0rd-1234";
    const desired = desiredOf({ masterPassword: new Secret(configured) });
    fake.faults.fail({
      command: "CreateDBInstance",
      error: "InvalidParameterValue",
      message: `The password ${configured} is not valid`,
    });
    const io = new RecordingIoHost();
    const err = await up(fake, desired, { io }).catch((e) => e);
    expect(err).toMatchObject({ code: "AWS_CALL_FAILED" });
    expect(err.message).toContain("RDS.CreateDBInstance failed: InvalidParameterValue");
    expect(err.message).not.toContain(configured);
    expect(JSON.stringify({ err, details: err.details, events: io.events, calls: fake.calls })).not.toContain(
      configured,
    );
  });
});
