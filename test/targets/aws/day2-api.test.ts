import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { enableInsights } from "../../../src/api/insights.js";
import { scaleDatabase } from "../../../src/api/scale.js";
import { setSlowlog } from "../../../src/api/slowlog.js";
import { copySnapshot } from "../../../src/api/snapshot-copy.js";
import { RecordingIoHost } from "../../../src/io.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import type { Target } from "../../../src/targets/target.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { desiredOf, up, world } from "./harness.js";

let fake: FakeAws;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const userFault = (code: string) => expect.objectContaining({ code, fault: "user" });

/** A project folder whose config.env means the same as desiredOf(): my-app / prod on PostgreSQL 16.4. */
function project(extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-aws-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    ['APP_NAME="my-app"', 'ENV_NAME="prod"', 'DB_ENGINE_VERSION="16.4"', ...extra, ""].join("\n"),
  );
  return dir;
}

async function setup(answer = true) {
  ({ fake } = world());
  await up(fake, desiredOf());
  const io = new RecordingIoHost(answer);
  const ctx: CommandContext = { cwd: project(), env: {}, io, target: "aws" };
  const target = createAwsTarget(ctx, { clock: fake.clock });
  return { io, ctx, target, r: fake.state.region(), now: () => fake.clock.now() };
}

describe("ebdb scale", () => {
  it("announces the Multi-AZ failover, asks, and scales in the maintenance window unless told to now", async () => {
    const { io, ctx, target, r, now } = await setup();
    const result = await scaleDatabase(ctx, { instanceClass: "db.t3.medium", target, now });
    expect(result).toMatchObject({
      instanceClass: { from: "db.t3.micro", to: "db.t3.medium" },
      impact: "failover",
      when: "maintenance-window",
    });
    const [account, region, database] = io.messages("info");
    expect(account).toMatch(/^AWS account 123456789012 \(arn:aws:/);
    expect([region, database]).toEqual([
      "Region us-east-1",
      "Database my-app-prod-db for EB environment my-app/my-app-prod",
    ]);
    expect(io.messages("warning")[0]).toMatch(/Multi-AZ failover/);
    expect(io.questions).toEqual([
      { message: "Scale my-app-prod-db (db.t3.micro → db.t3.medium)?", impact: "failover" },
    ]);
    expect(r.rds.instances.get("my-app-prod-db")!.pending.DBInstanceClass).toBe("db.t3.medium");

    await scaleDatabase(ctx, { instanceClass: "db.t3.large", applyImmediately: true, target, now });
    expect(r.rds.instances.get("my-app-prod-db")).toMatchObject({
      instanceClass: "db.t3.large",
      status: "available",
    });
  });

  it("changes nothing when the confirmation is declined", async () => {
    const { ctx, target, r, now } = await setup(false);
    const result = await scaleDatabase(ctx, { instanceClass: "db.t3.medium", target, now });
    expect(result.when).toBe("cancelled");
    expect(r.rds.instances.get("my-app-prod-db")!.pending).toEqual({});
    expect(fake.countCalls({ command: "ModifyDBInstance" })).toBe(0);
  });

  it("grows storage online, only by 10% or more, and not again within 6 hours", async () => {
    const { io, ctx, target, r, now } = await setup();
    await expect(scaleDatabase(ctx, { storageGiB: 15, target, now })).rejects.toEqual(
      userFault("STORAGE_ONLY_GROWS"),
    );
    await expect(scaleDatabase(ctx, { storageGiB: 21, target, now })).rejects.toEqual(
      userFault("STORAGE_STEP"),
    );
    const result = await scaleDatabase(ctx, { storageGiB: 30, applyImmediately: true, target, now });
    expect(result).toMatchObject({ storageGiB: { from: 20, to: 30 }, impact: "none", when: "now" });
    expect(io.questions).toEqual([]);
    expect(r.rds.instances.get("my-app-prod-db")!.allocatedStorage).toBe(30);
    fake.clock.advance(2 * 60 * 60_000);
    const again = await scaleDatabase(ctx, { storageGiB: 40, target, now }).catch((e) => e);
    expect(again).toEqual(userFault("STORAGE_COOLDOWN"));
    expect(again.message).toMatch(/one storage change per 6 hours/);
    fake.clock.advance(5 * 60 * 60_000);
    await scaleDatabase(ctx, { storageGiB: 40, applyImmediately: true, target, now });
    expect(r.rds.instances.get("my-app-prod-db")!.allocatedStorage).toBe(40);
  });

  it("checks its flags", async () => {
    const { ctx, target, now } = await setup();
    await expect(scaleDatabase(ctx, { target, now })).rejects.toEqual(userFault("NOTHING_TO_SCALE"));
    await expect(scaleDatabase(ctx, { instanceClass: "m5.large", target, now })).rejects.toEqual(
      userFault("BAD_INSTANCE_CLASS"),
    );
    await expect(scaleDatabase(ctx, { instanceClass: "db.t3.micro", target, now })).rejects.toEqual(
      userFault("SAME_CLASS"),
    );
  });
});

describe("the other AWS-only day-2 commands", () => {
  it("insights, slowlog and snapshot copy work through their library functions", async () => {
    const { ctx, target, r } = await setup();
    expect(await enableInsights(ctx, { retentionDays: 62, target })).toEqual({
      identifier: "my-app-prod-db",
      retentionDays: 62,
    });
    expect(r.rds.instances.get("my-app-prod-db")!.piRetention).toBe(62);
    await setSlowlog(ctx, { ms: 200, target });
    expect(
      r.rds.parameterGroups.get("my-app-prod-db-postgres16")!.values.get("log_min_duration_statement")?.value,
    ).toBe("200");
    await expect(setSlowlog(ctx, { ms: -5, target })).rejects.toEqual(userFault("BAD_MS"));
    await target.snapshots.create(desiredOf(), "s1", ctx.io);
    fake.seed.kmsKey({ region: "eu-west-1", alias: "alias/dr" });
    const copy = await copySnapshot(ctx, {
      id: "s1",
      toRegion: "eu-west-1",
      kmsKeyId: "alias/dr",
      name: "s1-dr",
      target,
    });
    expect(copy).toMatchObject({
      source: "s1",
      region: "eu-west-1",
      copy: { id: "s1-dr", status: "available" },
    });
    await expect(copySnapshot(ctx, { id: "s1", toRegion: "mars-1", target })).rejects.toEqual(
      userFault("BAD_REGION"),
    );
  });

  it("say clearly when the target does not offer them", async () => {
    ({ fake } = world());
    const io = new RecordingIoHost();
    const ctx: CommandContext = { cwd: project(), env: {}, io, target: "local" };
    const bare = { name: "local" } as unknown as Target;
    for (const call of [
      () => scaleDatabase(ctx, { instanceClass: "db.t3.small", target: bare }),
      () => enableInsights(ctx, { target: bare }),
      () => setSlowlog(ctx, { ms: 100, target: bare }),
      () => copySnapshot(ctx, { id: "x", toRegion: "us-west-2", target: bare }),
    ]) {
      const e = await call().catch((x) => x);
      expect(e).toEqual(userFault("NOT_SUPPORTED"));
      expect(e.message).toMatch(/not available on the local target/);
      expect(e.hint).toMatch(/--target aws/);
    }
  });
});
