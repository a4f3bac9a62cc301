import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { removeReplica } from "../../src/api/replica.js";
import { createSnapshot, deleteSnapshot } from "../../src/api/snapshot.js";
import { up } from "../../src/api/up.js";
import { RecordingIoHost } from "../../src/io.js";
import { createAwsTarget } from "../../src/targets/aws/index.js";
import type { FakeAws } from "../fakes/aws/index.js";
import { world } from "../targets/aws/harness.js";

// A new user's `ebdb replica remove nope` and `ebdb snapshot delete nope` asked "Remove nope?" first
// and only then said there was no such thing: a name that is not there is an error, never a question.
let fake: FakeAws | undefined;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it("replica remove and snapshot delete of an unknown name: exit-2 errors listing what exists, nothing asked", async () => {
  ({ fake } = world());
  const cwd = mkdtempSync(join(tmpdir(), "ebdb-unknown-"));
  dirs.push(cwd);
  writeFileSync(
    join(cwd, "config.env"),
    'APP_NAME="my-app"\nENV_NAME="prod"\nDB_READ_REPLICA_ENABLED="true"\nDB_READ_REPLICA_COUNT="1"\n',
  );
  const io = new RecordingIoHost();
  const ctx: CommandContext = { cwd, env: {}, io, target: "aws" };
  const target = createAwsTarget(ctx, { clock: fake.clock });
  await up(ctx, { target, now: fake.clock.now() });
  await createSnapshot(ctx, { id: "kept", target });
  io.questions.length = 0;

  const r = await removeReplica(ctx, { name: "nope", target }).catch((e) => e);
  expect(r).toMatchObject({ code: "REPLICA_NOT_FOUND", fault: "user" });
  expect(r.hint).toContain("my-app-prod-db-replica-1");
  const d = await deleteSnapshot(ctx, { id: "nope", target }).catch((e) => e);
  expect(d).toMatchObject({ code: "SNAPSHOT_NOT_FOUND", fault: "user" });
  expect(d.hint).toContain("kept");
  expect(io.questions).toEqual([]);
  // A real name still asks, as before.
  await deleteSnapshot(ctx, { id: "kept", target });
  expect(io.questions.map((q) => q.message)).toEqual(["Delete snapshot kept?"]);
});
