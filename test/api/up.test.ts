import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { up } from "../../src/api/up.js";
import { RecordingIoHost } from "../../src/io.js";
import type { Change, Plan } from "../../src/model/change.js";
import type { Desired } from "../../src/model/desired-types.js";
import type { Observed, ObservedInstance } from "../../src/model/observed.js";
import type { Target } from "../../src/targets/target.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-apiup-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    'APP_NAME="apiup"\nENV_NAME="dev"\nDB_ENGINE_VERSION="15.8"\nDB_READ_REPLICA_ENABLED="false"\n',
  );
  return dir;
}

function instance(d: Desired): ObservedInstance {
  const p = d.primary;
  return {
    name: p.name,
    role: "primary",
    status: "available",
    instanceClass: p.instanceClass,
    engineVersion: p.engineVersion,
    port: p.port,
    storage: { ...p.storage },
    multiAz: p.multiAz,
    backupRetentionDays: p.backup.retentionDays,
    backupWindow: p.backup.window,
    maintenanceWindow: p.maintenanceWindow,
    deletionProtection: p.deletionProtection,
    autoMinorVersionUpgrade: p.autoMinorVersionUpgrade,
    performanceInsights: { ...p.performanceInsights },
    logExports: [...p.logExports],
    parameterGroup: p.parameterGroup,
    endpoint: { host: "127.0.0.1", port: p.port },
    pendingModifications: {},
    lastStorageChangeAt: null,
    sourceName: null,
  };
}

/** A target whose observe() returns the configuration itself plus `drift`, and records apply(). */
function fakeTarget(drift: Change[]): Target & { applied: Plan[] } {
  const applied: Plan[] = [];
  const t = {
    name: "local" as const,
    applied,
    async observe(d: Desired): Promise<Observed> {
      return { target: "local", primary: instance(d), replicas: [], drift };
    },
    async apply(plan: Plan) {
      applied.push(plan);
      return { applied: plan.changes.length };
    },
  };
  return t as unknown as Target & { applied: Plan[] };
}

const start: Change = {
  resource: "apiup-dev-db",
  kind: "instance",
  action: "update",
  field: "state",
  from: "crashed",
  to: "running",
  impact: "none",
  reason: "Starts apiup-dev-db",
};
const restart: Change = { ...start, field: "x", impact: "restart", reason: "Restarts it" };

function ctxFor(answer: boolean): CommandContext & { io: RecordingIoHost } {
  return { cwd: project(), env: {}, io: new RecordingIoHost(answer), target: "local" };
}

describe("up", () => {
  test("applies what the target found (its drift) without asking when nothing disrupts", async () => {
    const ctx = ctxFor(false);
    const target = fakeTarget([start]);
    const r = await up(ctx, { target });
    expect(r).toMatchObject({ changed: true, applied: 1 });
    expect(target.applied[0].changes).toEqual([start]);
    expect(ctx.io.questions).toEqual([]);
  });

  test("asks before a disruptive change and changes nothing when the answer is no", async () => {
    const ctx = ctxFor(false);
    const target = fakeTarget([restart]);
    await expect(up(ctx, { target })).rejects.toMatchObject({ code: "ABORTED", fault: "user" });
    expect(ctx.io.questions[0]).toMatchObject({ impact: "restart" });
    expect(target.applied).toEqual([]);
  });

  test("does nothing, and says so, when everything matches", async () => {
    const ctx = ctxFor(true);
    const target = fakeTarget([]);
    const r = await up(ctx, { target });
    expect(r).toMatchObject({ changed: false, applied: 0 });
    expect(target.applied).toEqual([]);
    expect(ctx.io.messages("result")[0]).toMatch(/nothing to change/);
  });
});
