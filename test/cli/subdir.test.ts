import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// Issue 8, item 7: ebdb run from a subfolder of the project uses the project's config.env, found
// upward as git finds .git, and says which file it uses (spawned as a user runs it; needs a build).
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin", "ebdb.js");
const built = existsSync(join(root, "dist", "cli", "main.js"));
const dir = mkdtempSync(join(tmpdir(), "ebdb-subdir-"));
const project = join(dir, "shop");
const deep = join(project, "src", "app");
const app = `subdir${process.pid % 10000}`;
mkdirSync(deep, { recursive: true });
const config = join(project, "config.env");
writeFileSync(
  config,
  [
    `APP_NAME="${app}"`,
    'ENV_NAME="dev"',
    'DB_ENGINE_VERSION="15.8"',
    'DB_READ_REPLICA_ENABLED="false"',
    "",
  ].join("\n"),
);
const USING = `Using ${config} (the nearest config.env above this folder)`;

function ebdb(args: string[], cwd = deep, extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extra },
    timeout: 120_000,
  });
  expect(r.error, "ebdb must answer, not hang").toBeUndefined();
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => {
  if (existsSync(join(project, ".ebdb"))) ebdb(["destroy", "--yes"], project);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)("a command run from a subfolder of the project (spawned)", () => {
  it("validate uses the config.env above and says so, once, on stderr", () => {
    const r = ebdb(["validate"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${USING}\n`);
    expect(r.stdout).toBe(`${config} is valid.\n`);
  });

  it("with --json, stdout is the JSON alone; the line stays on stderr", () => {
    const v = ebdb(["validate", "--json"]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, file: config });
    expect(
      v.stderr
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([{ type: "info", message: USING }]);
    const p = ebdb(["plan", "--offline", "--json"]);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ identifier: `${app}-dev-db` });
    expect(
      p.stderr
        .trim()
        .split("\n")
        .filter((l) => l.includes(USING)),
    ).toHaveLength(1);
  });

  it("in the project's folder itself, nothing extra is said", () => {
    const r = ebdb(["validate"], project);
    expect(r).toMatchObject({ code: 0, stderr: "", stdout: "config.env is valid.\n" });
  });

  it("--config and EBDB_CONFIG still choose the file, relative to the working folder", () => {
    const flag = ebdb(["validate", "--config", "../../config.env"]);
    expect(flag).toMatchObject({ code: 0, stderr: "" });
    const env = ebdb(["validate"], deep, { EBDB_CONFIG: "missing.env" });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`No configuration file at ${join(deep, "missing.env")}.`);
  });

  it("with no config.env here or above: exit 2, saying where it looked and what to do", () => {
    const lone = mkdtempSync(join(dir, "lone-"));
    const r = ebdb(["plan", "--offline"], lone);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`No config.env in ${lone} or any folder above it.`);
    expect(r.stderr).toMatch(/ebdb init/);
  });

  it("up, status and destroy from a subfolder act on the project's database; .ebdb/ sits beside config.env", () => {
    const up = ebdb(["up", "--yes"]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr.split("\n").filter((l) => l === USING)).toHaveLength(1);
    expect(existsSync(join(project, ".ebdb", `${app}-dev-db`))).toBe(true);
    expect(existsSync(join(deep, ".ebdb"))).toBe(false);
    const status = ebdb(["status", "--json"], join(project, "src"));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ identifier: `${app}-dev-db` });
    const down = ebdb(["destroy", "--yes"]);
    expect(down.code, down.stderr).toBe(0);
  });

  it("init still writes ./config.env in the working folder, leaving the project's alone", () => {
    const before = readFileSync(config, "utf8");
    const r = ebdb(["init"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(deep, "config.env"))).toBe(true);
    expect(readFileSync(config, "utf8")).toBe(before);
    // From then on, that nearer file is the one used.
    expect(ebdb(["validate"])).toMatchObject({ code: 0, stderr: "", stdout: "config.env is valid.\n" });
  });
});
