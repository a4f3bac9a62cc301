import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readerVars } from "../../src/api/autoscale-reader.js";
import { openDay2 } from "../../src/api/day2-common.js";
import type { AutoscaleStatus, RunnerEvent } from "../../src/autoscale/runner-types.js";
import { main } from "../../src/cli/main.js";
import { RecordingIoHost } from "../../src/io.js";
import { isPortFree } from "../../src/targets/local/ports.js";
import { captureOutput } from "../fixtures/output.js";

// `ebdb autoscale run|status` as a user runs them: flags, --once, the long-running runner stopped
// with Ctrl-C (a spawned bin/ebdb.js: run `npm run build` first), one runner per database.
const dir = mkdtempSync(join(tmpdir(), "ebdb-cli-autoscale-"));
const env = { ...process.env, EBDB_TARGET: "" };
const app = `as${process.pid % 10000}`;
const id = `${app}-dev-db`;
const BIN = resolve(__dirname, "../../bin/ebdb.js");
let child: ChildProcess | null = null;

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
      'DB_READ_REPLICA_MIN_CAPACITY="1"',
      'DB_READ_REPLICA_MAX_CAPACITY="2"',
      "",
    ].join("\n"),
  );
  const up = await ebdb("up", "--yes");
  expect(up.code, up.err).toBe(0);
  // up returns a moment before the replica streams; until it does, the runner rightly counts it as
  // not ready yet ("0 ready + 1 creating"), which is not what the first step here is about.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const st = JSON.parse((await ebdb("status", "--json")).out) as {
      nodes: { role: string; state: string; lagBytes: number | null }[];
    };
    const r = st.nodes.find((n) => n.role === "replica");
    if (r?.state === "running" && r.lagBytes === 0) break;
    if (Date.now() > deadline)
      throw new Error(`the replica did not stream within 30 s: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}, 120_000);
afterAll(async () => {
  child?.kill("SIGKILL");
  await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
});

describe("ebdb autoscale run and status (CLI)", () => {
  test("bad flags are refused with exit 2, naming the flag", async () => {
    const zero = await ebdb("autoscale", "run", "--interval", "0");
    expect(zero.code).toBe(2);
    expect(zero.err).toMatch(/--interval 0 is not a number of seconds from 0\.2 to 3600/);
    const word = await ebdb("autoscale", "run", "--max-lag", "soon");
    expect(word.code).toBe(2);
    expect(word.err).toMatch(/--max-lag soon is not a number of seconds/);
  });

  test("--once takes one step, logs its decision with the reason, and status shows it", async () => {
    const r = await ebdb("autoscale", "run", "--once", "--json");
    expect(r.code, r.err).toBe(0);
    const events = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunnerEvent);
    const step = events.find((e) => e.kind === "step");
    expect(step?.data?.decision).toMatchObject({ action: "none", current: 1, desired: 1 });
    expect(step?.message).toMatch(/CPU [\d.]+% over 1 ready replica → no change: /);
    const status = JSON.parse((await ebdb("autoscale", "status", "--json")).out) as AutoscaleStatus;
    expect(status).toMatchObject({
      target: "local",
      identifier: id,
      enabled: true,
      minCapacity: 1,
      maxCapacity: 2,
      targetCpuPercent: 70,
      current: 1,
      desired: 1,
      runner: { kind: "local-process", state: "stopped" },
      metric: { name: "RDSReaderAverageCPUUtilization", unit: "Percent" },
    });
    expect(status.decisions).toHaveLength(1);
    expect(status.metric.points).toHaveLength(1);
    const text = (await ebdb("autoscale", "status")).out;
    expect(text).toMatch(/min 1, max 2 .* target CPU 70%/);
    expect(text).toMatch(/Recent decisions \(1 of 1 kept\)/);
  });

  test("with the database down, a step decides nothing and says why", async () => {
    expect((await ebdb("down")).code).toBe(0);
    const r = await ebdb("autoscale", "run", "--once");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/no CPU figure → no change: the primary is not running \(`ebdb up` starts it\)/);
    expect((await ebdb("up", "--yes")).code).toBe(0);
  });

  test("run serves the reader endpoint readerVars names (DB_READER_PORT); one runner at a time; Ctrl-C stops it", async () => {
    child = spawn(process.execPath, [BIN, "autoscale", "run", "--interval", "0.5"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (b) => {
      out += b;
    });
    child.stderr!.on("data", (b) => {
      err += b;
    });
    const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
    const deadline = Date.now() + 15_000;
    while (!/Reader endpoint: \+/.test(out) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(out, err).toMatch(new RegExp(`Reader endpoint: \\+ ${id}-replica-1 \\(ready`));

    const port = Number(/reader endpoint 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const ctx = { cwd: dir, env, io: new RecordingIoHost(true) };
    const { desired, target } = await openDay2(ctx);
    expect(await readerVars(ctx, target, desired)).toEqual({
      DB_READER_HOST: "127.0.0.1",
      DB_READER_PORT: String(port),
    });
    // What the application is handed: env and exec give the same address.
    const printed = JSON.parse((await ebdb("env", "--format", "json")).out) as Record<string, string>;
    expect(printed).toMatchObject({ DB_READER_HOST: "127.0.0.1", DB_READER_PORT: String(port) });
    const status = JSON.parse((await ebdb("autoscale", "status", "--json")).out) as AutoscaleStatus;
    expect(status.runner).toMatchObject({ state: "running", pid: child.pid, intervalSeconds: 0.5 });
    expect(status.reader).toMatchObject({ port, served: true, members: [`${id}-replica-1`] });

    const second = await ebdb("autoscale", "run", "--once");
    expect(second.code).toBe(1);
    expect(second.err).toMatch(
      new RegExp(`Another ebdb \\(pid ${child.pid}, autoscale run\\) is working on ${id}`),
    );

    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
    expect(code).toBe(0);
    expect(out).toMatch(/Stopped\.\n$/);
    expect(await isPortFree(port)).toBe(true);
    const after = JSON.parse((await ebdb("autoscale", "status", "--json")).out) as AutoscaleStatus;
    expect(after.runner.state).toBe("stopped");
  });
});
