import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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

    // config.env describes the instance as it is, ebdb's additions included (DB_PARAMETER_GROUP_NAME,
    // DB_CLOUDWATCH_LOGS_EXPORTS, DB_ALARMS_ENABLED, no autoscaling); decouple put the replicas made by
    // hand behind the database's security group: the plan is empty.
    const plan = await planAfter(cwd);
    if (process.env.PEEK) console.log(JSON.stringify(plan.changes, null, 1));
    expect(plan.changes).toEqual([]);
    expect(plan.refused).toEqual([]);
    expect(plan.notes.join(" ")).not.toContain("coupled");
    // Not encrypted: the plan offers the path RDS allows, with its downtime, and does not take it.
    expect(plan.notes.join(" ")).toMatch(
      /cannot encrypt a running instance.*Downtime: about \d+ minutes for 20 GiB/,
    );
    const dbSg = r.rds.instances.get(id)!.vpcSecurityGroupIds[0];
    for (const name of ["my-app-reader-a", "my-app-reader-b"])
      expect(r.rds.instances.get(name)!.vpcSecurityGroupIds).toContain(dbSg);

    // Taking ebdb's production additions is a change of config.env, each with its impact: its own
    // parameter group (TLS enforced, slow statements logged: a restart of each instance), log exports,
    // the alarms; `up` makes them, then the plan is empty again and the application still reaches it.
    const file = join(cwd, "config.env");
    const text = await readFile(file, "utf8");
    await writeFile(
      file,
      text
        .replace(/^DB_PARAMETER_GROUP_NAME=.*$/m, 'DB_PARAMETER_GROUP_NAME=""')
        .replace(/^DB_CLOUDWATCH_LOGS_EXPORTS=.*$/m, 'DB_CLOUDWATCH_LOGS_EXPORTS=""')
        .replace(/^DB_ALARMS_ENABLED=.*$/m, 'DB_ALARMS_ENABLED="true"'),
    );
    const additions = await planAfter(cwd);
    expect(additions.refused).toEqual([]);
    expect(additions.changes.filter((c) => c.field === "parameterGroup").map((c) => c.impact)).toEqual([
      "restart",
      "restart",
      "restart",
    ]);
    expect(additions.changes.filter((c) => c.field === "logExports")).toHaveLength(3);
    expect(additions.changes.filter((c) => c.kind === "alarm").length).toBeGreaterThanOrEqual(8);
    const config = await requireConfig(ctxIn(cwd));
    await up(fake, deriveDesired(config, "aws"), { applyImmediately: true });
    const converged = await planAfter(cwd);
    expect(converged.changes).toEqual([]);
    expect(converged.refused).toEqual([]);
    for (const [family, v] of Object.entries(appDatabases(fake, "my-app-prod")))
      expect(v, family).toEqual({ instance: id, problems: [] });
    expect(fake.state.region().rds.instances.get(id)!.deletionProtection).toBe(true);

    // Again: nothing to do.
    const n = fake.calls.filter((c) => c.mutating).length;
    const again = await decouple(ctxIn(cwd), { clock: fake.clock });
    expect(again.steps.map((s) => s.outcome)).toEqual(["already", "already", "already", "already"]);
    expect(fake.calls.filter((c) => c.mutating).length).toBe(n);

    // Adopting it again now: the same settings, written as adopt writes them (ebdb's own group now, so
    // DB_SLOW_QUERY_MS is the group's value and DB_PARAMETER_GROUP_NAME stays empty), no tag, no change.
    const readopt = await adopt(ctxIn(cwd), { identifier: id, clock: fake.clock });
    expect(readopt.environment).toMatchObject({ name: "my-app-prod", coupled: false });
    expect(readopt.replacedKeys.sort()).toEqual(["DB_CLOUDWATCH_LOGS_EXPORTS", "DB_SLOW_QUERY_MS"]);
    expect(readopt.differences.map((d) => d.key)).not.toContain("DB_PARAMETER_GROUP_NAME");
    expect(readopt.differences.map((d) => d.key)).not.toContain("DB_ALARMS_ENABLED");
    const readoptText = await readFile(file, "utf8");
    expect(readoptText).toContain('DB_SLOW_QUERY_MS="1000"');
    expect(readoptText).toContain('DB_CLOUDWATCH_LOGS_EXPORTS="postgresql,upgrade"');
    expect(readoptText).toContain('DB_ALARMS_ENABLED="true"');
    expect(readopt.tagged).toEqual([]);
    expect(fake.calls.filter((c) => c.mutating).length).toBe(n);
    expect((await planAfter(cwd)).changes).toEqual([]);

    // destroy (protection turned off first, by config.env) leaves none of ebdb's alarms behind, the
    // adopted replicas' `<replica>-lag` ones included.
    expect(fake.state.region().cloudwatch.alarms.has("my-app-reader-a-lag")).toBe(true);
    await writeFile(
      file,
      (await readFile(file, "utf8")).replace(
        /^DB_DELETION_PROTECTION=.*$/m,
        'DB_DELETION_PROTECTION="false"',
      ),
    );
    const unprotected = deriveDesired(await requireConfig(ctxIn(cwd)), "aws");
    await up(fake, unprotected, { applyImmediately: true });
    await createAwsTarget(ctxIn(cwd), { clock: fake.clock }).destroy(
      unprotected,
      { skipFinalSnapshot: true },
      new RecordingIoHost(),
    );
    expect([...fake.state.region().cloudwatch.alarms.keys()]).toEqual([]);
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
        expect(plan.changes).toEqual([]);
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
