import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { logs } from "../../../src/api/logs.js";
import { RecordingIoHost } from "../../../src/io.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "../../fakes/aws/index.js";
import { publishRdsLog } from "../../fakes/aws/rds-logs.js";
import { rdsClient } from "../../fakes/aws/test-helpers.js";
import { desiredOf, up } from "./harness.js";

// `ebdb logs --target aws`: the server log RDS exports to CloudWatch Logs, on the fake.
const ID = "my-app-prod-db";
let fake: FakeAws;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function made() {
  fake = installFakeAws();
  seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
  await up(fake, desiredOf());
  const dir = mkdtempSync(join(tmpdir(), "ebdb-logs-aws-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    ['APP_NAME="my-app"', 'ENV_NAME="prod"', 'DB_ENGINE_VERSION="16.4"', ""].join("\n"),
  );
  const ctx: CommandContext = { cwd: dir, env: {}, io: new RecordingIoHost(), target: "aws" };
  return { ctx, target: createAwsTarget(ctx, { clock: fake.clock }) };
}

const ago = (min: number) => new Date(fake.clock.now().getTime() - min * 60_000);
const stamp = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 23)} UTC`;
/** A line as RDS for PostgreSQL writes it (log_line_prefix %t:%r:%u@%d:[%p]:). */
const pgLine = (at: Date, text: string) => `${stamp(at)}:10.0.1.5(40000):app@app:[4242]:LOG:  ${text}`;

async function collect(it: AsyncIterable<string>): Promise<string> {
  let out = "";
  for await (const c of it) out += c;
  return out;
}

describe("ebdb logs on AWS (the fake's CloudWatch Logs)", () => {
  it("gives the last hour of the exported log; --slow only the duration lines; --since from a time", async () => {
    const { ctx, target } = await made();
    publishRdsLog(fake, ID, "postgresql", pgLine(ago(90), "checkpoint starting: time"), { at: ago(90) });
    publishRdsLog(fake, ID, "postgresql", pgLine(ago(30), "duration: 1500.2 ms  statement: SELECT old"), {
      at: ago(30),
    });
    publishRdsLog(fake, ID, "postgresql", pgLine(ago(10), "checkpoint complete"), { at: ago(10) });
    publishRdsLog(fake, ID, "postgresql", pgLine(ago(5), "duration: 2100.0 ms  statement: SELECT recent"), {
      at: ago(5),
    });

    const all = await collect(await logs(ctx, { target }));
    expect(all.split("\n").filter(Boolean)).toHaveLength(3);
    expect(all).not.toContain("checkpoint starting");

    const slow = await collect(await logs(ctx, { target, slow: true }));
    expect(slow.split("\n").filter(Boolean)).toEqual([
      pgLine(ago(30), "duration: 1500.2 ms  statement: SELECT old"),
      pgLine(ago(5), "duration: 2100.0 ms  statement: SELECT recent"),
    ]);
    const since = await collect(await logs(ctx, { target, slow: true, since: ago(20) }));
    expect(since).toContain("SELECT recent");
    expect(since).not.toContain("SELECT old");
    expect(await collect(await logs(ctx, { target, since: ago(120) }))).toContain("checkpoint starting");
  });

  it("--follow brings new events as RDS publishes them, once each, until stopped", async () => {
    const { ctx, target } = await made();
    publishRdsLog(fake, ID, "postgresql", pgLine(ago(1), "duration: 300.0 ms  statement: SELECT first"));
    const stop = new AbortController();
    const chunks: string[] = [];
    let published = false;
    for await (const c of await logs(ctx, { target, slow: true, follow: true, signal: stop.signal })) {
      chunks.push(c);
      if (!published) {
        publishRdsLog(
          fake,
          ID,
          "postgresql",
          pgLine(fake.clock.now(), "duration: 400.0 ms  statement: SELECT second"),
        );
        publishRdsLog(fake, ID, "postgresql", pgLine(fake.clock.now(), "connection received"));
        published = true;
      } else stop.abort();
    }
    expect(chunks.join("").match(/SELECT first/g)).toHaveLength(1);
    expect(chunks.join("").match(/SELECT second/g)).toHaveLength(1);
    expect(chunks.join("")).not.toContain("connection received");
  });

  it("an instance that does not export its log says so and how to turn it on", async () => {
    const { ctx, target } = await made();
    await rdsClient().send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: ID,
        CloudwatchLogsExportConfiguration: { DisableLogTypes: ["postgresql"] },
      }),
    );
    await expect(collect(await logs(ctx, { target }))).rejects.toMatchObject({
      code: "LOGS_NOT_EXPORTED",
      message: `${ID} does not publish its postgresql log to CloudWatch Logs.`,
      hint: expect.stringContaining("ebdb up --target aws"),
    });
  });
});
