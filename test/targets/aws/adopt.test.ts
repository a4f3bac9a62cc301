import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../../../src/api/adopt.js";
import { planOnline } from "../../../src/api/plan.js";
import { isEbdbError } from "../../../src/errors.js";
import { RecordingIoHost } from "../../../src/io.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { ctxIn, coupledWorld, PASSWORD, READERS } from "./coupled-world.js";

let fake: FakeAws;
let dir: string;
afterEach(() => fake?.uninstall());
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-adopt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function folder(name: string): Promise<string> {
  const f = join(dir, name);
  await rm(f, { recursive: true, force: true });
  const { mkdir } = await import("node:fs/promises");
  await mkdir(f, { recursive: true });
  return f;
}

describe("ebdb adopt (AWS fake)", () => {
  it("describes a coupled database with replicas in config.env, tags it, and changes nothing else", async () => {
    const w = await coupledWorld();
    fake = w.fake;
    const cwd = await folder("coupled");
    const before = JSON.stringify(fake.state.region().rds.instances.get(w.id), (k, v) =>
      k === "tags" ? undefined : v,
    );
    const mutatingBefore = fake.calls.filter((c) => c.mutating).length;
    const io = new RecordingIoHost();
    const r = await adopt(ctxIn(cwd, io), { identifier: w.id, clock: fake.clock });

    expect(r.config).toBe("written");
    expect(r.replicas).toEqual(READERS);
    expect(r.environment).toEqual({
      application: "my-app",
      name: "my-app-prod",
      coupled: true,
      deletionPolicy: "Delete",
    });
    const text = await readFile(join(cwd, "config.env"), "utf8");
    // Every key is there, each with where its value came from.
    expect(text).toMatch(
      /^# DB_ENGINE_VERSION: RDS DescribeDBInstances EngineVersion\.\nDB_ENGINE_VERSION="16\.4"$/m,
    );
    expect(text).toContain(`DB_INSTANCE_IDENTIFIER="${w.id}"`);
    expect(text).toContain('DB_NAME="ebdb"');
    expect(text).toContain('DB_MASTER_USERNAME="ebroot"');
    expect(text).toContain('DB_STORAGE_TYPE="gp2"');
    expect(text).toMatch(/Production default: true\.\nDB_MULTI_AZ="false"/);
    expect(text).toMatch(/Production default: 7\.\nDB_BACKUP_RETENTION_DAYS="1"/);
    expect(text).toContain('DB_READ_REPLICA_ENABLED="true"');
    expect(text).toContain('DB_READ_REPLICA_COUNT="2"');
    expect(text).toContain('EB_RDS_PROPERTIES="true"');
    expect(text).toContain('DB_ACCESS_MODE="eb-sg"');
    expect(text).toMatch(/DB_SECURITY_GROUP_NAME=".*-AWSEBRDSDBSecurityGroup-/);
    expect(text).toContain('DB_MASTER_PASSWORD=""');
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain("run `ebdb decouple --target aws` before anything else");

    // Tags only: the instance's settings are as they were; replicas keep their names and get their index.
    const r0 = fake.state.region();
    const inst = r0.rds.instances.get(w.id)!;
    expect(JSON.stringify(inst, (k, v) => (k === "tags" ? undefined : v))).toBe(before);
    expect(inst.tags).toEqual(expect.arrayContaining([{ Key: "ebdb:managed", Value: "true" }]));
    READERS.forEach((name, i) => {
      expect(r0.rds.instances.get(name)!.tags).toEqual(
        expect.arrayContaining([
          { Key: "ebdb:replica-of", Value: w.id },
          { Key: "ebdb:replica-index", Value: String(i + 1) },
        ]),
      );
    });
    const mutating = fake.calls
      .slice(0)
      .filter((c) => c.mutating)
      .slice(mutatingBefore);
    expect(new Set(mutating.map((c) => c.command))).toEqual(new Set(["AddTagsToResource"]));
    expect(io.messages("result").join()).toContain("Nothing else was changed.");

    // What differs from the production defaults, each with the planner's impact.
    const multiAz = r.differences.find((d) => d.key === "DB_MULTI_AZ")!;
    expect(multiAz.changes[0]).toMatchObject({ field: "multiAz", from: false, to: true, impact: "none" });
    const enc = r.differences.find((d) => d.key === "DB_STORAGE_ENCRYPTED")!;
    expect(enc.changes[0]).toMatchObject({ field: "storage.encrypted", impact: "replace" });
    expect(r.notes.join(" ")).toMatch(/cannot encrypt a running instance.*Downtime: about \d+ minutes/);
    expect(r.notes[0]).toContain("coupled to Elastic Beanstalk environment my-app-prod");

    // plan: while coupled, decouple first; it changes nothing.
    const plan = await planOnline(ctxIn(cwd), {
      target: createAwsTarget(ctxIn(cwd), { clock: fake.clock }),
      now: fake.clock.now(),
    });
    expect(plan.plan.changes).toEqual([]);
    expect(plan.plan.notes.join(" ")).toContain("`ebdb decouple --target aws`");

    // Twice: the same file, no tag written, nothing else.
    const n = fake.calls.filter((c) => c.mutating).length;
    const again = await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock });
    expect(again.config).toBe("unchanged");
    expect(again.tagged).toEqual([]);
    expect(fake.calls.filter((c) => c.mutating).length).toBe(n);
    expect(await readFile(join(cwd, "config.env"), "utf8")).toBe(text);
  });

  it("refuses to overwrite a config.env of another instance, and an identifier that does not exist", async () => {
    const w = await coupledWorld();
    fake = w.fake;
    const cwd = await folder("other");
    await writeFile(join(cwd, "config.env"), 'APP_NAME="other"\nDB_INSTANCE_IDENTIFIER="other-db"\n');
    const e = await adopt(ctxIn(cwd), { identifier: w.id, clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(e) && e.code).toBe("CONFIG_EXISTS");
    expect(e.message).toContain("another instance, other-db");
    expect(await readFile(join(cwd, "config.env"), "utf8")).toContain("other-db");

    const empty = await folder("missing");
    const m = await adopt(ctxIn(empty), { identifier: "nothing-here", clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(m) && [m.code, m.exitCode]).toEqual(["NOT_FOUND", 2]);
    const bad = await adopt(ctxIn(empty), { identifier: "bad--name", clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(bad) && bad.code).toBe("BAD_IDENTIFIER");
    const replica = await adopt(ctxIn(empty), { identifier: READERS[0], clock: fake.clock }).catch((x) => x);
    expect(isEbdbError(replica) && replica.hint).toContain(`--identifier ${w.id}`);
  });
});
