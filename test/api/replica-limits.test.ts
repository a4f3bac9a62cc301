import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { addReplica } from "../../src/api/replica.js";
import { up } from "../../src/api/up.js";
import { RecordingIoHost } from "../../src/io.js";
import type { Change, Plan } from "../../src/model/change.js";
import type { Desired } from "../../src/model/desired-types.js";
import type { Observed } from "../../src/model/observed.js";
import type { NodeStatus, Target } from "../../src/targets/target.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function ctxWith(lines: string[], answer = true): CommandContext & { io: RecordingIoHost } {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-apireplica-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.env"), ['APP_NAME="rl"', 'ENV_NAME="dev"', ...lines, ""].join("\n"));
  return { cwd: dir, env: {}, io: new RecordingIoHost(answer), target: "local" };
}

function node(name: string): NodeStatus {
  return { name, role: "replica", state: "running", host: "127.0.0.1", port: 1 } as NodeStatus;
}

/** A target with `n` replicas whose add() records that it was called. */
function targetWith(n: number): Target & { added: number } {
  const t = {
    name: "local" as const,
    added: 0,
    replicas: {
      async list(d: Desired) {
        return Array.from({ length: n }, (_, i) => node(`${d.identifier}-replica-${i + 1}`));
      },
      async add(d: Desired) {
        t.added++;
        return node(`${d.identifier}-replica-${n + 1}`);
      },
    },
  };
  return t as unknown as Target & { added: number };
}

describe("replica add stops at DB_READ_REPLICA_MAX_CAPACITY", () => {
  const on = [
    'DB_READ_REPLICA_ENABLED="true"',
    'DB_READ_REPLICA_COUNT="1"',
    'DB_READ_REPLICA_MAX_CAPACITY="2"',
  ];

  test("below the maximum, it adds one, without a warning", async () => {
    const ctx = ctxWith(on);
    const target = targetWith(1);
    await expect(addReplica(ctx, { target })).resolves.toMatchObject({ name: "rl-dev-db-replica-2" });
    expect(target.added).toBe(1);
    expect(ctx.io.messages("warning")).toEqual([]);
  });

  test("at the maximum, it refuses (a user error naming the key), and adds nothing", async () => {
    const ctx = ctxWith(on);
    const target = targetWith(2);
    await expect(addReplica(ctx, { target })).rejects.toMatchObject({
      code: "REPLICA_MAX_CAPACITY",
      fault: "user",
      message:
        "rl-dev-db has 2 read replicas and DB_READ_REPLICA_MAX_CAPACITY is 2: another would be beyond the maximum, and the next `ebdb up` would remove it.",
      hint: expect.stringContaining("Raise DB_READ_REPLICA_MAX_CAPACITY"),
    });
    expect(target.added).toBe(0);
  });

  test("with replicas off it adds one, saying that the next up removes it", async () => {
    const ctx = ctxWith(['DB_READ_REPLICA_ENABLED="false"']);
    const target = targetWith(0);
    await addReplica(ctx, { target });
    expect(target.added).toBe(1);
    expect(ctx.io.messages("warning")).toEqual([
      expect.stringMatching(/next `ebdb up` removes this replica/),
    ]);
  });
});

describe("up asks before removing a read replica", () => {
  const removal: Change = {
    resource: "rl-dev-db-replica-2",
    kind: "replica",
    action: "delete",
    impact: "none",
    reason: "Deletes read replica rl-dev-db-replica-2",
  };
  const slotDrop: Change = {
    ...removal,
    resource: "rl_dev_db_replica_9",
    field: "slot",
    reason: "Drops slot",
  };

  function upTarget(drift: Change[]): Target & { applied: Plan[] } {
    const applied: Plan[] = [];
    const t = {
      name: "local" as const,
      applied,
      async observe(): Promise<Observed> {
        return { target: "local", primary: null, replicas: [], drift } as unknown as Observed;
      },
      async apply(plan: Plan) {
        applied.push(plan);
        return { applied: plan.changes.length };
      },
    };
    return t as unknown as Target & { applied: Plan[] };
  }

  test("the question names the replica and says reads to it fail; no means nothing changes", async () => {
    const ctx = ctxWith([], false);
    const target = upTarget([removal]);
    await expect(up(ctx, { target })).rejects.toMatchObject({ code: "ABORTED", fault: "user" });
    expect(target.applied).toEqual([]);
    expect(ctx.io.questions).toHaveLength(1);
    expect(ctx.io.questions[0].message).toMatch(
      /, removing read replica rl-dev-db-replica-2\? Reads sent to it will fail\.$/,
    );
  });

  test("yes applies it", async () => {
    const ctx = ctxWith([], true);
    const target = upTarget([removal]);
    await up(ctx, { target });
    expect(target.applied[0].changes).toContainEqual(removal);
  });

  test("dropping a removed replica's leftover slot is not a removal: no question", async () => {
    const ctx = ctxWith([], false);
    const target = upTarget([slotDrop]);
    await up(ctx, { target });
    expect(ctx.io.questions).toEqual([]);
  });
});
