import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { destroy } from "../../../src/api/destroy.js";
import { env } from "../../../src/api/env.js";
import { addReplica, listReplicas, removeReplica } from "../../../src/api/replica.js";
import { restore } from "../../../src/api/restore.js";
import { createSnapshot, listSnapshots } from "../../../src/api/snapshot.js";
import { status } from "../../../src/api/status.js";
import { up } from "../../../src/api/up.js";
import { RecordingIoHost } from "../../../src/io.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { world } from "./harness.js";

let fake: FakeAws;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-aws-flow-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.env"), [...lines, ""].join("\n"));
  return dir;
}

describe("the generic library flows with --target aws", () => {
  it("up, status, env, snapshot, restore, replica and destroy work unchanged against the fake", async () => {
    ({ fake } = world());
    const cwd = project([
      'APP_NAME="my-app"',
      'ENV_NAME="prod"',
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      'DB_DELETION_PROTECTION="false"',
    ]);
    const io = new RecordingIoHost();
    const ctx: CommandContext = { cwd, env: {}, io, target: "aws" };
    const target = createAwsTarget(ctx, { clock: fake.clock });

    const first = await up(ctx, { target, now: fake.clock.now() });
    expect(first).toMatchObject({ target: "aws", identifier: "my-app-prod-db", changed: true });
    // Attaching the client security group replaces the EB instances: up asked first.
    expect(io.questions).toHaveLength(1);
    expect(io.questions[0].impact).toBe("restart");
    expect(io.messages("info")[0]).toMatch(/^AWS account 123456789012/);

    fake.resetCalls();
    const second = await up(ctx, {
      target: createAwsTarget(ctx, { clock: fake.clock }),
      now: fake.clock.now(),
    });
    expect(second.changed).toBe(false);
    expect(fake.countCalls({ mutating: true })).toBe(0);

    const s = await status(ctx, { target });
    expect(s.nodes.map((n) => n.role)).toEqual(["primary", "replica"]);

    const vars = await env(ctx, { target });
    expect(JSON.stringify(vars)).toContain("my-app-prod-db-replica-1");

    fake.clock.advance(30 * 60_000);
    await createSnapshot(ctx, { id: "flow-snap", target });
    expect((await listSnapshots(ctx, { target })).map((b) => b.id)).toContain("flow-snap");
    const restored = await restore(ctx, { fromSnapshot: "flow-snap", name: "flow-restored", target });
    expect(restored.name).toBe("flow-restored");

    const added = await addReplica(ctx, { target });
    expect(added.name).toBe("my-app-prod-db-replica-2");
    expect((await listReplicas(ctx, { target })).map((n) => n.name)).toEqual([
      "my-app-prod-db-replica-1",
      "my-app-prod-db-replica-2",
    ]);
    // Without a name, the newest goes; the question and the result name it.
    expect(await removeReplica(ctx, { target })).toEqual({ removed: "my-app-prod-db-replica-2" });
    expect(io.questions.at(-1)?.message).toMatch(/^Remove my-app-prod-db-replica-2\?/);
    expect((await listReplicas(ctx, { target })).map((n) => n.name)).toEqual(["my-app-prod-db-replica-1"]);

    expect((await status(ctx, { target })).nodes.map((n) => [n.name, n.role])).toContainEqual([
      "flow-restored",
      "restored",
    ]);

    await destroy(ctx, { skipFinalSnapshot: true, target });
    expect([...fake.state.region().rds.instances.keys()]).toEqual([]);
    expect(io.questions.at(-1)?.impact).toBe("data-loss");
  });
});
