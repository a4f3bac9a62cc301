import type { CommandContext } from "../../../src/api/context.js";
import { RecordingIoHost } from "../../../src/io.js";
import type { Plan } from "../../../src/model/change.js";
import type { Config } from "../../../src/model/config.js";
import { deriveDesired } from "../../../src/model/desired.js";
import type { Desired } from "../../../src/model/desired-types.js";
import { diff } from "../../../src/plan/diff.js";
import { withAwsDrift } from "../../../src/plan/diff-aws.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import type { Target } from "../../../src/targets/target.js";
import {
  type FakeAws,
  installFakeAws,
  type SeededEnvironment,
  seedDefaultEnvironment,
} from "../../fakes/aws/index.js";
import { type DeepPartial, makeConfig } from "../../fixtures/config.js";

/** A fake AWS with the EB environment `my-app-prod` of `my-app` (the fixture config's names). */
export function world(opts: { legacyPlatform?: boolean; dbSubnets?: boolean; pageSize?: number } = {}): {
  fake: FakeAws;
  env: SeededEnvironment;
} {
  const fake = installFakeAws({ pageSize: opts.pageSize });
  const env = seedDefaultEnvironment(fake, {
    app: "my-app",
    env: "my-app-prod",
    legacyPlatform: opts.legacyPlatform,
    dbSubnets: opts.dbSubnets,
  });
  return { fake, env };
}

export function commandContext(io = new RecordingIoHost()): CommandContext {
  return { cwd: "/work/project", env: {}, io, target: "aws" };
}

export function desiredOf(overrides: DeepPartial<Config> = {}): Desired {
  return deriveDesired(makeConfig(overrides), "aws");
}

export function targetOn(fake: FakeAws, io = new RecordingIoHost()): Target {
  return createAwsTarget(commandContext(io), { clock: fake.clock });
}

/** The plan `up` would show: the generic diff with the AWS drift merged in. */
export async function planOf(
  fake: FakeAws,
  desired: Desired,
  opts: { allowReplace?: boolean; target?: Target } = {},
): Promise<{ plan: Plan; target: Target }> {
  const target = opts.target ?? targetOn(fake);
  const observed = await target.observe(desired);
  const plan = withAwsDrift(
    diff(desired, observed, { now: fake.clock.now(), allowReplace: opts.allowReplace }),
    observed,
  );
  return { plan, target };
}

/** What `ebdb up --yes` does: observe, plan, apply. */
export async function up(
  fake: FakeAws,
  desired: Desired,
  opts: { io?: RecordingIoHost; applyImmediately?: boolean; allowReplace?: boolean } = {},
): Promise<Plan> {
  const io = opts.io ?? new RecordingIoHost();
  const target = targetOn(fake, io);
  const { plan } = await planOf(fake, desired, { allowReplace: opts.allowReplace, target });
  if (plan.changes.length > 0)
    await target.apply(plan, desired, io, { applyImmediately: opts.applyImmediately });
  return plan;
}
