import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { addReplica, listReplicas } from "../../../src/api/replica.js";
import { up } from "../../../src/api/up.js";
import { RecordingIoHost } from "../../../src/io.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { world } from "./harness.js";

// Issue 7, item 14, on the AWS target: replica add stops at DB_READ_REPLICA_MAX_CAPACITY, and up
// asks before it removes a replica (the local target's side is in test/cli/replica-limits.test.ts).
let fake: FakeAws;
afterEach(() => fake?.uninstall());
const dir = mkdtempSync(join(tmpdir(), "ebdb-aws-replica-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configure(lines: string[]): void {
  const base = ['APP_NAME="my-app"', 'ENV_NAME="prod"', 'DB_DELETION_PROTECTION="false"'];
  writeFileSync(join(dir, "config.env"), [...base, ...lines, ""].join("\n"));
}

describe("read replicas beyond the maximum, on the AWS target", () => {
  it("replica add is refused at the maximum; up asks before removing a replica and keeps it on no", async () => {
    ({ fake } = world());
    const ctx = (answer: boolean): CommandContext & { io: RecordingIoHost } => ({
      cwd: dir,
      env: {},
      io: new RecordingIoHost(answer),
      target: "aws",
    });
    const target = () => createAwsTarget(ctx(true), { clock: fake.clock });
    const replicas = async () => (await listReplicas(ctx(true), { target: target() })).map((n) => n.name);

    configure([
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      'DB_READ_REPLICA_MAX_CAPACITY="1"',
    ]);
    await up(ctx(true), { target: target(), now: fake.clock.now() });
    expect(await replicas()).toEqual(["my-app-prod-db-replica-1"]);

    fake.resetCalls();
    await expect(addReplica(ctx(true), { target: target() })).rejects.toMatchObject({
      code: "REPLICA_MAX_CAPACITY",
      fault: "user",
      message: expect.stringContaining("has 1 read replica and DB_READ_REPLICA_MAX_CAPACITY is 1"),
    });
    expect(fake.countCalls({ mutating: true })).toBe(0);

    configure([
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      'DB_READ_REPLICA_MAX_CAPACITY="2"',
    ]);
    await addReplica(ctx(true), { target: target() });
    expect(await replicas()).toEqual(["my-app-prod-db-replica-1", "my-app-prod-db-replica-2"]);

    // Back to a maximum of 1: up would remove replica-2, and must ask first.
    configure([
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      'DB_READ_REPLICA_MAX_CAPACITY="1"',
    ]);
    const no = ctx(false);
    fake.resetCalls();
    await expect(up(no, { target: target(), now: fake.clock.now() })).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(no.io.questions.map((q) => q.message)).toEqual([
      expect.stringMatching(/removing read replica my-app-prod-db-replica-2\? Reads sent to it will fail\./),
    ]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
    expect(await replicas()).toEqual(["my-app-prod-db-replica-1", "my-app-prod-db-replica-2"]);

    await up(ctx(true), { target: target(), now: fake.clock.now() });
    expect(await replicas()).toEqual(["my-app-prod-db-replica-1"]);
  });
});
