import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { openTop } from "../../src/api/top.js";
import { topLines } from "../../src/cli/render/top.js";
import { RecordingIoHost } from "../../src/io.js";
import { createAwsTarget } from "../../src/targets/aws/index.js";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "../fakes/aws/index.js";
import { desiredOf, up } from "../targets/aws/harness.js";

// `ebdb top` on AWS reads what CloudWatch says (the fake's metrics): the same frame as locally, the
// figures from CPUUtilization, DatabaseConnections and FreeStorageSpace, and a clear note where the
// server's own views cannot be read from outside the VPC.

const ID = "my-app-prod-db";
const GIB = 1024 ** 3;
let fake: FakeAws | undefined;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("ebdb top on AWS (the fake)", () => {
  it("shows CloudWatch's CPU, connections and free storage, and why there are no top queries", async () => {
    fake = installFakeAws();
    seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    await up(fake, desiredOf());
    const dir = mkdtempSync(join(tmpdir(), "ebdb-top-aws-"));
    dirs.push(dir);
    writeFileSync(
      join(dir, "config.env"),
      'APP_NAME="my-app"\nENV_NAME="prod"\nDB_ENGINE_VERSION="16.4"\nDB_INSTANCE_CLASS="db.t3.micro"\n',
    );
    const f = fake;
    const metric = (name: string, value: number) =>
      f.putMetric({
        namespace: "AWS/RDS",
        metricName: name,
        dimensions: { DBInstanceIdentifier: ID },
        value,
        at: new Date(f.clock.now().getTime() - 60_000),
      });
    metric("CPUUtilization", 42);
    metric("DatabaseConnections", 17);
    metric("FreeStorageSpace", 15 * GIB);
    const ctx: CommandContext = { cwd: dir, env: {}, io: new RecordingIoHost(), target: "aws" };
    const top = await openTop(ctx, { target: createAwsTarget(ctx, { clock: fake.clock }) });
    const frame = await top.next();
    expect(frame).toMatchObject({ target: "aws", identifier: ID, cpu: { percent: 42 } });
    expect(frame.storage?.freeBytes).toBe(15 * GIB);
    const text = topLines(frame, { width: 200, color: false, intervalSeconds: 2, live: false }).join("\n");
    expect(text).toMatch(/^CPU +42\.0%/m);
    expect(text).toMatch(/^Connections +17 of \d+ \[#*\.+\] +CloudWatch DatabaseConnections/m);
    expect(text).toMatch(/^Storage +15\.0 GiB free/m);
    expect(text).toMatch(/not run from here: the database is private to the EB environment's VPC/);
  });
});
