import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { decouple } from "../../../src/api/decouple.js";
import { planOnline } from "../../../src/api/plan.js";
import { adoptLines } from "../../../src/cli/commands/adopt.js";
import { decoupleLines } from "../../../src/cli/commands/decouple.js";
import { explainPlan } from "../../../src/plan/explain.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { coupledWorld, ctxIn } from "./coupled-world.js";

// The README's walk from `eb create --database` to an ebdb-managed database, as the commands print it
// (their text renderers, over the fake). README_OUT=<file> writes the transcript for the README.

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-adopt-readme-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("adopt, plan, decouple, plan: what the user reads", () => {
  it("says what it did at each command, and the plan ends empty", async () => {
    const w = await coupledWorld();
    fake = w.fake;
    const cwd = join(dir, "shop");
    await mkdir(cwd, { recursive: true });
    const ctx = () => ctxIn(cwd);
    const plan = async () =>
      explainPlan(
        (
          await planOnline(ctx(), {
            target: createAwsTarget(ctx(), { clock: fake.clock }),
            now: fake.clock.now(),
          })
        ).plan,
        { identifier: w.id },
      );
    const out: string[] = [];
    const show = (cmd: string, lines: string[]) => out.push(`$ ${cmd}`, ...lines, "");

    const adopted = adoptLines(await adopt(ctx(), { identifier: w.id, clock: fake.clock }), cwd);
    show(`ebdb adopt --identifier ${w.id}`, adopted);
    const coupled = await plan();
    show("ebdb plan --target aws", coupled);
    const steps = decoupleLines(await decouple(ctx(), { clock: fake.clock }));
    show("ebdb decouple --target aws --yes", steps);
    const after = await plan();
    show("ebdb plan --target aws", after);
    if (process.env.README_OUT) await writeFile(process.env.README_OUT, out.join("\n"));

    expect(adopted.join("\n")).toContain("Nothing else was changed.");
    expect(adopted.join("\n")).toMatch(/DB_MULTI_AZ="false" \(default "true"\): .*\[impact: none\]/);
    expect(coupled.join("\n")).toContain("ebdb decouple --target aws");
    expect(steps.slice(0, 4).map((l) => l.split(/ +/).slice(0, 2).join(" "))).toEqual([
      "✓ protect",
      "✓ secret",
      "✓ wire",
      "✓ uncouple",
    ]);
    expect(steps[4]).toBe(`${w.id} is decoupled from my-app-prod. Next: \`ebdb plan --target aws\`.`);
    // After decoupling the plan is empty: config.env describes the instance as it is.
    expect(after.join("\n")).toContain("No changes");
    expect(after.join("\n")).not.toContain("decouple");
    // ebdb's own parameter group is one of the differences adopt lists, with its restart.
    expect(adopted.join("\n")).toMatch(
      /DB_PARAMETER_GROUP_NAME="default\.postgres16" \(default empty: ebdb's own\): .*\[impact: restart\]/,
    );
  });
});
