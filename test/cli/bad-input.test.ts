import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// Issue 7, items 12 and 13: bad input, spawned as a user runs it (needs `npm run build`). Each is
// exit 2 with a message naming the flag or file and what to do; never a hang, a crash or an
// "internal error". No database is created: every refusal comes before one would be touched.
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const built = existsSync(join(root, "dist", "cli", "main.js"));
const dir = mkdtempSync(join(tmpdir(), "ebdb-bad-input-"));
const project = join(dir, "shop");
mkdirSync(project);
writeFileSync(join(project, "config.env"), 'APP_NAME="badinput"\nENV_NAME="dev"\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ebdb(args: string[], cwd = project): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH, EBDB_TARGET: "local" },
    // Every case answers in well under a second; the bound only turns a hang into a failure.
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.error, "ebdb must answer, not hang").toBeUndefined();
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |RangeError|TypeError/);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)("bad input is exit 2 with a clear message (spawned)", () => {
  it.each(["/dev/zero", "/dev/urandom"])("--config %s is refused as a device, without reading it", (dev) => {
    const r = ebdb(["validate", "--config", dev]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${dev} is a device, not a regular file`);
  });

  it.skipIf(process.platform === "win32")("--config on a FIFO is refused at once", () => {
    const fifo = join(dir, "pipe.env");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const r = ebdb(["validate", "--config", fifo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is a named pipe (FIFO), not a regular file");
  });

  it("--config on a folder names it; --json gives the error's code", () => {
    const r = ebdb(["validate", "--config", dir, "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "CONFIG_UNREADABLE" } });
  });

  it("a config file over 1 MiB is refused naming the file and the limit", () => {
    const big = join(dir, "big.env");
    writeFileSync(big, `# ${"x".repeat(2 * 1024 * 1024)}\n`);
    const r = ebdb(["validate", "--config", big]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: ${big} is 2,097,155 bytes: ebdb reads a configuration file of at most 1 MiB`,
    );
  });

  it("--config '' is an error, not a silent ./config.env", () => {
    // The folder's config.env is valid: before, `validate --config ''` said so and exited 0.
    expect(ebdb(["validate"]).code).toBe(0);
    const r = ebdb(["validate", "--config", ""]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --config was given an empty value\./);
    expect(r.stdout).toBe("");
  });

  it.each([
    [["logs", "--node", ""], "error: --node was given an empty value."],
    [["url", "--replica", ""], "error: --replica was given an empty value."],
    [["destroy", "--instance", "", "--yes"], "error: --instance was given an empty value."],
    [["snapshot", "delete", "", "--yes"], "error: The <id> argument of `ebdb snapshot delete` is empty."],
    [["replica", "remove", "", "--yes"], "error: The <name> argument of `ebdb replica remove` is empty."],
  ])("an empty value is refused: ebdb %j", (args, message) => {
    const r = ebdb(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(message);
  });

  it.each([
    ["2026-02-30T00:00:00Z", "February 2026 has no day 30"],
    ["2025-02-29T12:00:00Z", "February 2025 has no day 29"],
    ["2026-01-15T24:00:01Z", "hour 24 does not exist"],
    ["2026-13-01T00:00:00Z", "month 13 does not exist"],
  ])("restore --to-time %s is refused, not rolled over", (time, why) => {
    const r = ebdb(["restore", "--to-time", time, "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: --to-time ${time} is not a real time: ${why}`);
    expect(r.stderr).toContain("RDS restores to a UTC time written like 2024-01-15T12:00:00Z");
  });

  it.each([
    [
      "99999999999",
      "--ms 99999999999 is out of range: the slow-query threshold is -1 (off) to 2147483647 milliseconds.",
    ],
    ["2147483648", "--ms 2147483648 is out of range"],
    ["-2", "--ms -2 is out of range"],
    ["1.5", "--ms 1.5 is not a whole number of milliseconds (the range is -1 to 2147483647)."],
  ])("slowlog --ms %s names the flag and the range", (ms, message) => {
    const r = ebdb(["slowlog", `--ms=${ms}`, "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${message}`);
  });

  it("scale --storage echoes a huge number as typed, with RDS's maximum", () => {
    const r = ebdb(["scale", "--storage", "999999999999999999999", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: --storage 999999999999999999999 is not a size RDS accepts.");
    expect(r.stderr).toContain("up to 65536");
  });

  it("insights enable --retention takes only what Performance Insights offers", () => {
    const r = ebdb(["insights", "enable", "--retention", "30", "--target", "aws", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: --retention 30 is not a retention Performance Insights offers.");
    expect(r.stderr).toContain("e.g. 31 for 1 month");
  });
});

describe.skipIf(!built)("a file of 100,000 unknown keys (spawned)", () => {
  const many = join(dir, "many.env");
  writeFileSync(many, Array.from({ length: 100_000 }, (_, i) => `K${i}=1`).join("\n"));

  it("lists the first 100 problems and how many more, in a few KiB (was 13.5 MB)", () => {
    const r = ebdb(["validate", "--config", many]);
    expect(r.code).toBe(2);
    expect(r.stderr.match(/^\S*many\.env:\d+: error: /gm)).toHaveLength(100);
    expect(r.stderr).toContain("many.env: and 99900 more problems not shown (99900 errors)");
    expect(r.stderr).toMatch(/many\.env: 100000 errors\n$/);
    expect(r.stderr.length).toBeLessThan(32 * 1024);
  });

  it("--json lists 100 and gives the totals", () => {
    const r = ebdb(["validate", "--config", many, "--json"]);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, errors: 100_000, warnings: 0, omitted: 99_900 });
    expect(j.problems).toHaveLength(100);
    expect(r.stdout.length).toBeLessThan(64 * 1024);
  });

  it("any command that needs the configuration lists 100 and how many more", () => {
    const r = ebdb(["status", "--config", many]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: \S*many\.env has 100000 errors:/);
    expect(r.stderr).toContain("and 99900 more problems not shown");
    expect(r.stderr.length).toBeLessThan(32 * 1024);
  });
});
