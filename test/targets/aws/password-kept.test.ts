import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../src/model/secret.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

/** A password as ebdb's earlier AWS generator made them (% + = ^ * !), with a $ as a hand-set one may have. */
const EARLIER = "Qm%7+=^*!x$Lr2-_.~Zk9%vB+w=Tt^*!";

function storedPassword(f: FakeAws): string {
  const secret = [...f.state.region().secrets.values()][0];
  return JSON.parse(secret.versions.find((v) => v.stages.includes("AWSCURRENT"))!.value!).password;
}

describe("a master password in the secret is never changed by up", () => {
  it("one with $, % and the other characters the generator no longer uses stays as it is", async () => {
    ({ fake } = world());
    await up(fake, desiredOf({ masterPassword: new Secret(EARLIER) }));
    expect(storedPassword(fake)).toBe(EARLIER);
    // The configuration no longer sets one: what the secret holds is the database's password.
    const desired = desiredOf({ masterPassword: null });
    const { plan } = await planOf(fake, desired);
    expect(plan.changes.filter((c) => /password/i.test(`${c.field} ${c.reason}`))).toEqual([]);
    await up(fake, desired);
    expect(storedPassword(fake)).toBe(EARLIER);
    expect((await targetOn(fake).connection(desired)).password.reveal()).toBe(EARLIER);
  });

  it("a new one is generated from letters, digits and -_.~ only", async () => {
    ({ fake } = world());
    await up(fake, desiredOf());
    expect(storedPassword(fake)).toMatch(/^[A-Za-z0-9\-_.~]{35}$/);
  });
});
