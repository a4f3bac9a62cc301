import { afterEach, expect, it } from "vitest";
import { poolingOf } from "../../../src/api/plan.js";
import { optionKey } from "../../fakes/aws/eb-model.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, targetOn, up, world } from "./harness.js";

// The pool each application instance may open is sized for the most instances the EB environment
// may run: its own aws:autoscaling:asg MaxSize, read by the AWS target (issue 10), not EB's default.
let fake: FakeAws;
const MAX_SIZE = optionKey("aws:autoscaling:asg", "MaxSize");
afterEach(() => fake?.uninstall());

it("plan sizes pools for the environment's own MaxSize, and EB's default 4 when it sets none", async () => {
  ({ fake } = world());
  const desired = desiredOf({ instanceClass: "db.r6g.large" });
  await up(fake, desired);
  const env = [...fake.state.region().eb.environments.values()].find((e) => e.name === "my-app-prod")!;
  const sized = async () => poolingOf(desired, await targetOn(fake).observe(desired))!;

  const four = await sized();
  expect(four.instances).toBe(4);
  expect(four.lines.join("\n")).toContain("aws:autoscaling:asg MaxSize of my-app-prod");

  env.options.set(MAX_SIZE, "12");
  const twelve = await sized();
  expect(twelve.instances).toBe(12);
  // Three times the instances: each one's pool about a third (the total stays within what is left).
  expect(twelve.perInstance).toBeLessThan(four.perInstance);
  expect(twelve.perInstance * 12).toBeLessThanOrEqual(twelve.available);

  env.options.delete(MAX_SIZE);
  const unset = await sized();
  expect(unset.instances).toBe(4);
  expect(unset.lines.join("\n")).toContain("Elastic Beanstalk's default aws:autoscaling:asg MaxSize");
});
