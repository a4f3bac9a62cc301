import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planOnline } from "../../src/api/plan.js";
import { main } from "../../src/cli/main.js";
import { RecordingIoHost } from "../../src/io.js";
import type { Desired } from "../../src/model/desired-types.js";
import type { Target } from "../../src/targets/target.js";
import { observedFrom } from "../fixtures/observed.js";
import { captureOutput } from "../fixtures/output.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-plan-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function project(lines: string[]): Promise<void> {
  await writeFile(join(dir, "config.env"), `${lines.join("\n")}\n`);
}

describe("ebdb plan --offline", () => {
  it("shows the AWS topology with the spec's names, without credentials", async () => {
    await project(['APP_NAME="my-app"', 'ENV_NAME="prod"']);
    const o = captureOutput();
    const code = await main(["plan", "--offline", "--target", "aws"], o, {}, dir);
    expect(o.stderr()).toBe("");
    expect(code).toBe(0);
    const out = o.stdout();
    expect(out).toMatch(/Topology of my-app-prod-db \(aws, us-east-1\)/);
    expect(out).toMatch(/secret my-app\/prod\/db-password/);
    expect(out).toMatch(/rds\.force_ssl: +1/);
    expect(out).toMatch(/log_min_duration_statement: +1000/);
    expect(out).toMatch(/shared_preload_libraries: +pg_stat_statements/);
    expect(out).toMatch(/alarm my-app-prod-db-high-cpu/);
    expect(out).toMatch(
      /From nothing, up would make: \d+ to create, 1 to change \(1 restart\), 0 to delete\./,
    );
  });

  it("prints { target, identifier, plan, topology } with --json", async () => {
    await project(["APP_NAME=my-app", "DB_READ_REPLICA_ENABLED=true", "DB_READ_REPLICA_COUNT=2"]);
    const o = captureOutput();
    expect(await main(["plan", "--offline", "--json"], o, { EBDB_TARGET: "aws" }, dir)).toBe(0);
    const json = JSON.parse(o.stdout());
    expect(Object.keys(json)).toEqual(["target", "identifier", "plan", "topology", "pooling"]);
    expect(json.target).toBe("aws");
    expect(json.identifier).toBe("my-app-prod-db");
    expect(json.plan.refused).toEqual([]);
    expect(
      json.plan.changes
        .filter((c: { kind: string }) => c.kind === "replica")
        .map((c: { resource: string }) => c.resource),
    ).toEqual(["my-app-prod-db-replica-1", "my-app-prod-db-replica-2"]);
    expect(json.topology.resources.find((r: { kind: string }) => r.kind === "secret").name).toBe(
      "my-app/prod/db-password",
    );
  });

  it("is the local topology by default, saying what only AWS makes", async () => {
    await project(["APP_NAME=my-app"]);
    const o = captureOutput();
    expect(await main(["plan", "--offline"], o, {}, dir)).toBe(0);
    expect(o.stdout()).toMatch(/Topology of my-app-prod-db \(local\)/);
    expect(o.stdout()).toMatch(/Made on AWS only \(not locally\):/);
    expect(o.stdout()).not.toMatch(/security-group my-app-prod-db-sg/);
  });

  it("never prints a configured password", async () => {
    await project(["APP_NAME=my-app", 'DB_MASTER_PASSWORD="S3cret-Pass!word"']);
    for (const args of [
      ["plan", "--offline", "--target", "aws"],
      ["plan", "--offline", "--json", "--target", "aws"],
    ]) {
      const o = captureOutput();
      expect(await main(args, o, {}, dir)).toBe(0);
      expect(o.stdout() + o.stderr()).not.toContain("S3cret-Pass!word");
    }
  });

  it("exits 2 naming the problem when the configuration is invalid", async () => {
    await project(["APP_NAME=my-app", "DB_BACKUP_RETENTION_DAYS=99"]);
    const o = captureOutput();
    expect(await main(["plan", "--offline"], o, {}, dir)).toBe(2);
    expect(o.stderr()).toMatch(/DB_BACKUP_RETENTION_DAYS/);
  });
});

describe("planOnline", () => {
  function fakeTarget(mutate: (desired: Desired) => ReturnType<typeof observedFrom>): Target {
    return { name: "aws", observe: async (d: Desired) => mutate(d) } as unknown as Target;
  }

  it("diffs the configuration against what the target observes", async () => {
    await project(["APP_NAME=my-app", "DB_INSTANCE_CLASS=db.t3.small"]);
    const target = fakeTarget((d) => {
      const o = observedFrom(d);
      o.primary!.instanceClass = "db.t3.micro";
      return o;
    });
    const ctx = { cwd: dir, env: {}, io: new RecordingIoHost(), target: "aws" as const };
    const r = await planOnline(ctx, { target });
    expect(r.identifier).toBe("my-app-prod-db");
    expect(r.plan.changes.map((c) => [c.field, c.from, c.to, c.impact])).toEqual([
      ["instanceClass", "db.t3.micro", "db.t3.small", "failover"],
    ]);
  });

  it("plans a replacement only when allowed", async () => {
    await project(["APP_NAME=my-app"]);
    const target = fakeTarget((d) => {
      const o = observedFrom(d);
      o.primary!.storage.encrypted = false;
      return o;
    });
    const ctx = { cwd: dir, env: {}, io: new RecordingIoHost(), target: "aws" as const };
    expect((await planOnline(ctx, { target })).plan.refused.map((c) => c.field)).toEqual([
      "storage.encrypted",
    ]);
    expect((await planOnline(ctx, { target, allowReplace: true })).plan.changes.map((c) => c.impact)).toEqual(
      ["replace"],
    );
  });
});
