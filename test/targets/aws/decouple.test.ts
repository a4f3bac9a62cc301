import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { decouple } from "../../../src/api/decouple.js";
import { planOnline } from "../../../src/api/plan.js";
import { requireConfig } from "../../../src/config/load.js";
import { deriveDesired } from "../../../src/model/desired.js";
import { main } from "../../../src/cli/main.js";
import { isEbdbError } from "../../../src/errors.js";
import { RecordingIoHost } from "../../../src/io.js";
import type { Change } from "../../../src/model/change.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import { appDatabases } from "../../fakes/aws/eb-app-db.js";
import { coupledOptions } from "../../fakes/aws/eb-coupled.js";
import { isSimulatedCrash } from "../../fakes/aws/errors.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { captureOutput } from "../../fixtures/output.js";
import { coupledWorld, ctxIn, PASSWORD } from "./coupled-world.js";
import { up } from "./harness.js";

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-decouple-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function adopted(name: string): Promise<{ id: string; cwd: string }> {
  const w = await coupledWorld();
  fake = w.fake;
  const cwd = join(dir, name);
  await mkdir(cwd, { recursive: true });
  await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock });
  return { id: w.id, cwd };
}

const envOf = () => [...fake.state.region().eb.environments.values()].find((e) => e.name === "my-app-prod")!;

async function planAfter(cwd: string) {
  return (
    await planOnline(ctxIn(cwd), {
      target: createAwsTarget(ctxIn(cwd), { clock: fake.clock }),
      now: fake.clock.now(),
    })
  ).plan;
}

/**
 * The plan's changes to what config.env describes or decouple made (the instance's and replicas'
 * settings, the secret, the network, the EB wiring), leaving out ebdb's production additions beyond
 * what EB made: its parameter group (TLS enforced, slow statements logged) and the reboot it needs,
 * log exports, alarms and their topic, the replicas made by hand put behind the database's security
 * group, and the read-replica autoscaler (another issue's addition, when replicas are on).
 */
function described(changes: Change[]): Change[] {
  const additions = ["parameter-group", "topic", "alarm", "autoscaler"];
  const fields = ["parameterGroup", "logExports", "reboot"];
  return changes.filter(
    (c) =>
      !additions.includes(String(c.kind)) &&
      !(["instance", "replica"].includes(c.kind) && fields.includes(c.field ?? "")) &&
      !(c.kind === "replica" && c.field === "securityGroups"),
  );
}

/**
 * What must hold at every point of a decoupling: the instance exists, is never unprotected once
 * protected, is never let go of while unprotected or without Retain, and the application's every
 * family of variables reaches it.
 */
function invariants(id: string, seen: { protected: boolean; retain: boolean }, when: string): void {
  const inst = fake.state.region().rds.instances.get(id);
  expect(inst, `${when}: the instance exists`).toBeDefined();
  expect(inst!.status, when).not.toBe("deleting");
  if (seen.protected) expect(inst!.deletionProtection, `${when}: still protected`).toBe(true);
  seen.protected ||= inst!.deletionProtection;
  const opts = coupledOptions(envOf());
  if (seen.retain && opts.HasCoupledDatabase === "true")
    expect(opts.DBDeletionPolicy, `${when}: still Retain`).toBe("Retain");
  seen.retain ||= opts.DBDeletionPolicy === "Retain";
  if (opts.HasCoupledDatabase === "false") {
    expect(seen.protected && seen.retain, `${when}: let go of only once protected and Retain`).toBe(true);
  }
  for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
    expect(v, `${when}: ${family}`).toEqual({ instance: id, problems: [] });
  expect(fake.calls.filter((c) => c.command === "DeleteDBInstance")).toEqual([]);
  expect(
    fake.calls.filter((c) => c.command === "ModifyDBInstance" && c.input.DeletionProtection === false),
  ).toEqual([]);
}

describe("ebdb decouple (AWS fake)", () => {
  it("takes the coupled database out of the environment: protected, Retain first, the application reaches it throughout", async () => {
    const { id, cwd } = await adopted("happy");
    expect(appDatabases(fake, "my-app-prod")).toEqual({ RDS: { instance: id, problems: [] } });
    const io = new RecordingIoHost();
    const report = await decouple(ctxIn(cwd, io), { clock: fake.clock });
    expect(report.steps.map((s) => [s.step, s.outcome])).toEqual([
      ["protect", "done"],
      ["secret", "done"],
      ["wire", "done"],
      ["uncouple", "done"],
    ]);
    const r = fake.state.region();
    const inst = r.rds.instances.get(id)!;
    expect(inst.status).toBe("available");
    expect(inst.deletionProtection).toBe(true);
    expect(coupledOptions(envOf()).HasCoupledDatabase).toBe("false");
    // The application reaches the same instance under every name it is given.
    const reach = appDatabases(fake, "my-app-prod");
    expect(Object.keys(reach).sort()).toEqual(["DATABASE_URL", "DB", "JDBC_DATABASE_URL", "PG", "RDS"]);
    for (const [family, v] of Object.entries(reach))
      expect(v, family).toEqual({ instance: id, problems: [] });
    expect(JSON.stringify(fake.calls)).not.toContain(PASSWORD);
    expect(io.events.map((e) => JSON.stringify(e)).join()).not.toContain(PASSWORD);

    // The plan changes nothing config.env describes; what is left is what ebdb adds beyond the
    // instance EB made, each with its impact: its parameter group (TLS enforced, slow statements
    // logged; a restart), log exports, the alarms and their topic, and the replicas made by hand put
    // behind the database's security group.
    const plan = await planAfter(cwd);
    expect(plan.refused).toEqual([]);
    expect(plan.notes.join(" ")).not.toContain("coupled");
    // Not encrypted: the plan offers the path RDS allows, with its downtime, and does not take it.
    expect(plan.notes.join(" ")).toMatch(
      /cannot encrypt a running instance.*Downtime: about \d+ minutes for 20 GiB/,
    );
    expect(plan.changes.some((c) => c.field === "storage.encrypted")).toBe(false);
    expect(described(plan.changes)).toEqual([]);
    expect(plan.changes.filter((c) => c.field === "parameterGroup").map((c) => c.impact)).toEqual([
      "restart",
      "restart",
      "restart",
    ]);

    // `up` makes them (asking first: a restart); then the plan of the adopted config.env is empty, and
    // the application still reaches the same instance.
    const config = await requireConfig(ctxIn(cwd));
    await up(fake, deriveDesired(config, "aws"), { applyImmediately: true });
    const converged = await planAfter(cwd);
    if (process.env.PEEK) console.log(JSON.stringify(converged.changes, null, 1));
    expect(converged.changes.filter((c) => String(c.kind) !== "autoscaler")).toEqual([]);
    expect(converged.refused).toEqual([]);
    for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
      expect(v, family).toEqual({ instance: id, problems: [] });
    expect(fake.state.region().rds.instances.get(id)!.deletionProtection).toBe(true);

    // Again: nothing to do.
    const n = fake.calls.filter((c) => c.mutating).length;
    const again = await decouple(ctxIn(cwd), { clock: fake.clock });
    expect(again.steps.map((s) => s.outcome)).toEqual(["already", "already", "already", "already"]);
    expect(fake.calls.filter((c) => c.mutating).length).toBe(n);

    // Adopting it again now: the same values (only the comments about coupling go), no tag, no change.
    const readopt = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    expect(readopt.environment).toMatchObject({ name: "my-app-prod", coupled: false });
    expect(readopt.replacedKeys).toEqual([]);
    expect(readopt.tagged).toEqual([]);
    expect(fake.calls.filter((c) => c.mutating).length).toBe(n);
    expect((await planAfter(cwd)).changes.filter((c) => String(c.kind) !== "autoscaler")).toEqual([]);
  });

  it("interrupted after each AWS call it makes, then run again: never deleted, never unprotected, always reached", async () => {
    // How many changing calls an uninterrupted decoupling makes.
    const first = await adopted("count");
    const before = fake.countCalls({ mutating: true });
    await decouple(ctxIn(first.cwd), { clock: fake.clock });
    const total = fake.countCalls({ mutating: true }) - before;
    expect(total).toBeGreaterThanOrEqual(8);
    fake.uninstall();

    const stepsAtCrash = new Set<string>();
    for (let n = 1; n <= total; n++) {
      const { id, cwd } = await adopted(`interrupted-${n}`);
      const seen = { protected: false, retain: false };
      invariants(id, seen, "before");
      fake.faults.crashAfter(n);
      const out = await decouple(ctxIn(cwd), { clock: fake.clock }).catch((e: unknown) => e);
      expect(fake.faults.crashed, `a crash after changing call ${n} of ${total}`).toBe(true);
      expect(isSimulatedCrash(out), String(out)).toBe(true);
      fake.faults.reset();
      const step = fake.state
        .region()
        .rds.instances.get(id)!
        .tags.find((t) => t.Key === "ebdb:decouple-step");
      stepsAtCrash.add(step?.Value ?? "none");
      invariants(id, seen, `after a crash after call ${n} (step ${step?.Value ?? "none"})`);
      // Time passes before an operator runs it again; the second run finishes the work.
      fake.clock.advance(60_000);
      const report = await decouple(ctxIn(cwd), { clock: fake.clock });
      expect(report.steps.map((s) => s.step)).toEqual(["protect", "secret", "wire", "uncouple"]);
      invariants(id, seen, `after the run resuming crash ${n}`);
      expect(coupledOptions(envOf()).HasCoupledDatabase).toBe("false");
      expect(fake.state.region().rds.instances.get(id)!.tags).toContainEqual({
        Key: "ebdb:decouple-step",
        Value: "uncouple",
      });
      if (n === total) {
        const plan = await planAfter(cwd);
        expect(plan.refused).toEqual([]);
        expect(described(plan.changes)).toEqual([]);
      }
      fake.uninstall();
    }
    // Interrupted inside or after each of the four steps (the last recorded one says which).
    expect([...stepsAtCrash].sort()).toEqual(["none", "protect", "secret", "uncouple", "wire"].sort());
  });

  it("EB refusing an update stops it with the instance protected and still coupled; the next run finishes", async () => {
    const { id, cwd } = await adopted("refused");
    const seen = { protected: false, retain: false };
    fake.faults.fail({
      service: "elasticbeanstalk",
      command: "UpdateEnvironment",
      error: "InsufficientPrivilegesException",
      message: "User is not authorized to perform: elasticbeanstalk:UpdateEnvironment",
      status: 403,
      times: 10,
    });
    const e = await decouple(ctxIn(cwd), { clock: fake.clock }).catch((x: unknown) => x);
    fake.faults.reset();
    expect(String(e)).toContain("not authorized to perform: elasticbeanstalk:UpdateEnvironment");
    invariants(id, seen, "after EB refused");
    // Deletion protection went on before the environment was touched; the environment is as it was.
    expect(fake.state.region().rds.instances.get(id)!.deletionProtection).toBe(true);
    expect(coupledOptions(envOf())).toMatchObject({ HasCoupledDatabase: "true", DBDeletionPolicy: "Delete" });
    const report = await decouple(ctxIn(cwd), { clock: fake.clock });
    expect(report.steps.map((s) => [s.step, s.outcome])).toEqual([
      ["protect", "done"],
      ["secret", "done"],
      ["wire", "done"],
      ["uncouple", "done"],
    ]);
    invariants(id, seen, "after the rerun");
  });

  it("refuses to let go when the application could not be given its password afterwards (a platform without environment secrets)", async () => {
    const w = await coupledWorld({ legacyPlatform: true });
    fake = w.fake;
    const cwd = join(dir, "legacy");
    await mkdir(cwd, { recursive: true });
    await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock });
    const seen = { protected: false, retain: false };
    const e = await decouple(ctxIn(cwd), { clock: fake.clock }).catch((x: unknown) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["EB_PLATFORM_NO_SECRETS", 2]);
    invariants(w.id, seen, "after the refusal");
    expect(coupledOptions(envOf())).toMatchObject({ HasCoupledDatabase: "true", DBDeletionPolicy: "Retain" });
    expect(fake.state.region().rds.instances.get(w.id)!.tags).toContainEqual({
      Key: "ebdb:decouple-step",
      Value: "secret",
    });
  });

  it("asks first: without a terminal and without --yes it changes nothing (exit 2)", async () => {
    const { id, cwd } = await adopted("ask");
    const n = fake.countCalls({ mutating: true });
    const o = captureOutput();
    const code = await main(["decouple", "--target", "aws"], o, { AWS_REGION: "us-east-1" }, cwd);
    expect(code).toBe(2);
    expect(o.stderr()).toContain("--yes");
    expect(fake.countCalls({ mutating: true })).toBe(n);
    expect(fake.state.region().rds.instances.get(id)!.deletionProtection).toBe(false);
  });

  it("a MySQL database (EB's default engine) decouples too: every family of names reaches it", async () => {
    const w = await coupledWorld({ engine: "mysql", replicas: [] });
    fake = w.fake;
    const cwd = join(dir, "mysql");
    await mkdir(cwd, { recursive: true });
    await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock });
    const seen = { protected: false, retain: false };
    invariants(w.id, seen, "before");
    await decouple(ctxIn(cwd), { clock: fake.clock });
    invariants(w.id, seen, "after");
    expect(Object.keys(appDatabases(fake, "my-app-prod")).sort()).toEqual(["DATABASE_URL", "DB", "RDS"]);
    expect(coupledOptions(envOf()).HasCoupledDatabase).toBe("false");
  });
});
