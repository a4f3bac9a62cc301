import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ebdb-autoscale-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = [
  "APP_NAME=shop",
  'DB_READ_REPLICA_ENABLED="true"',
  'DB_READ_REPLICA_COUNT="1"',
  'DB_READ_REPLICA_MIN_CAPACITY="1"',
  'DB_READ_REPLICA_MAX_CAPACITY="6"',
  'DB_READ_REPLICA_INSTANCE_CLASS="db.m6g.large"',
].join("\n");
writeFileSync(join(dir, "config.env"), `${CONFIG}\n`);
// An hour quiet, an hour at 4x the capacity of one replica, an hour quiet.
const rows = Array.from({ length: 180 }, (_, m) => `${m},${m >= 60 && m < 120 ? 8 : 1}`);
writeFileSync(join(dir, "spike.csv"), `minute,demand_vcpu\n${rows.join("\n")}\n`);

async function ebdb(args: string[], cwd = dir) {
  const o = captureOutput();
  const code = await main(["autoscale", "simulate", ...args], o, {}, cwd);
  return { code, stdout: o.stdout(), stderr: o.stderr() };
}

describe("ebdb autoscale simulate", () => {
  it("prints the settings, the figures and each action with its reason", async () => {
    const r = await ebdb(["--trace", "spike.csv"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Simulated the ebdb policy over spike.csv (180 minutes)");
    expect(r.stdout).toContain("db.m6g.large (2 vCPUs each), 1 to 6, target CPU 70%");
    expect(r.stdout).toMatch(/saturated minutes +\d+ +demand above the ready replicas' vCPUs/);
    expect(r.stdout).toMatch(/replica-hours +\d+\.\d\d/);
    expect(r.stdout).toMatch(/minute +6\d +\+2 → +3 +CPU at its ceiling for 3 min/);
    expect(r.stdout).toMatch(/-\d → +1 +.*remove replica-/);
  });

  it("gives exactly {summary, timeline} with --json, one row per minute", async () => {
    const r = await ebdb([
      "--trace",
      "spike.csv",
      "--json",
      "--policy",
      "target-tracking",
      "--provision-minutes",
      "15",
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(["summary", "timeline"]);
    expect(Object.keys(json.summary)).toEqual([
      "saturated_minutes",
      "over_target_minutes",
      "replica_hours",
      "scale_out_actions",
      "scale_in_actions",
    ]);
    expect(json.timeline).toHaveLength(180);
    expect(Object.keys(json.timeline[0])).toEqual([
      "minute",
      "demand_vcpu",
      "ready",
      "provisioning",
      "cpu_percent",
      "action",
    ]);
    // Target tracking waits 3 minutes above target; its replica is ready 15 minutes later.
    const first = json.timeline.findIndex((t: { action: unknown }) => t.action !== null);
    expect(first).toBe(63);
    expect(json.timeline[63 + 14]).toMatchObject({ ready: 1, provisioning: 1 });
    expect(json.timeline[63 + 15]).toMatchObject({ ready: 2, provisioning: 0 });
  });

  it("draws the run with --plot", async () => {
    const r = await ebdb(["--trace", "spike.csv", "--plot", "run.svg"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Plot: run.svg");
    const svg = readFileSync(join(dir, "run.svg"), "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain("spike.csv: ebdb policy");
  });

  it("refuses a bad trace naming the file and line (exit 2)", async () => {
    writeFileSync(join(dir, "bad.csv"), "minute,demand_vcpu\n0,1\n1,lots\n");
    const r = await ebdb(["--trace", "bad.csv"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: bad.csv:3: demand_vcpu "lots" is not a number >= 0');
    const missing = await ebdb(["--trace", "nope.csv"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: --trace .*nope\.csv: there is no file there/);
    const folder = await ebdb(["--trace", "."]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/is a folder, not a load trace/);
  });

  it.each([
    [["--provision-minutes", "ten"], /--provision-minutes ten is not a whole number of minutes/],
    [["--provision-minutes", "-1"], /--provision-minutes -1 is not a whole number/],
    [["--policy", "magic"], /argument 'magic' is invalid/],
    [[], /required option '--trace <file>' not specified/],
  ])("refuses %j (exit 2)", async (args, message) => {
    const r = await ebdb(args.length ? ["--trace", "spike.csv", ...args] : []);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("names DB_READ_REPLICA_INSTANCE_CLASS when its vCPUs are unknown", async () => {
    const other = mkdtempSync(join(dir, "x2g-"));
    writeFileSync(join(other, "config.env"), `${CONFIG.replace("db.m6g.large", "db.x2g.large")}\n`);
    const r = await ebdb(["--trace", join(dir, "spike.csv")], other);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /DB_READ_REPLICA_INSTANCE_CLASS db\.x2g\.large: ebdb does not know how many vCPUs/,
    );
  });

  it("warns, and still simulates, when replicas are off in config.env", async () => {
    const off = mkdtempSync(join(dir, "off-"));
    writeFileSync(join(off, "config.env"), "APP_NAME=shop\n");
    const r = await ebdb(["--trace", join(dir, "spike.csv")], off);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/DB_READ_REPLICA_ENABLED is false: simulating/);
    expect(r.stdout).toMatch(/1 to 3, target CPU 70%/);
  });
});

const built = existsSync(join(root, "dist", "cli", "main.js"));
describe.skipIf(!built)("ebdb autoscale simulate (spawned)", () => {
  it("runs the repository's trace suite as a user would", () => {
    const r = spawnSync(
      process.execPath,
      [join(root, "bin", "ebdb.js"), "autoscale", "simulate", "--trace", "traces/flash-crowd.csv", "--json"],
      {
        cwd: join(root, "bench", "autoscale"),
        encoding: "utf8",
        env: { PATH: process.env.PATH },
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).timeline).toHaveLength(360);
  });
});
