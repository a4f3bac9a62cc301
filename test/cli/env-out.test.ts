import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// `ebdb env --out FILE`: the file a user loads with dotenv holds the password, so it is written
// 0600, whole or not at all (a refused password leaves the old file, where `env > .env` empties it),
// and git picking it up is said. One local project (real server).
describe("ebdb env --out", () => {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-envout-"));
  const env = { ...process.env, EBDB_TARGET: "" };
  const ebdb = async (...argv: string[]) => {
    const o = captureOutput();
    const code = await main(argv, o, env, dir);
    return { code, out: o.stdout(), err: o.stderr() };
  };
  /** `password` as it is written inside double quotes in config.env. */
  const config = (password: string) =>
    writeFileSync(
      join(dir, "config.env"),
      `APP_NAME="envout${process.pid % 10000}"\nENV_NAME="dev"\nDB_MASTER_PASSWORD="${password}"\n`,
    );

  beforeAll(async () => {
    spawnSync("git", ["init", "-q"], { cwd: dir });
    config("plain-Passw0rd-1");
    const up = await ebdb("up", "--yes");
    expect(up.code, up.err).toBe(0);
  }, 120_000);
  afterAll(async () => {
    const gone = await ebdb("destroy", "--yes");
    expect(gone.code, gone.err).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test("writes what stdout would hold, mode 0600; warns while git does not ignore it", async () => {
    const r = await ebdb("env", "--out", ".env");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe("");
    const file = join(dir, ".env");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe((await ebdb("env")).out);
    expect(r.err).toMatch(
      /\.env holds the database password and git does not ignore it: add it to \.gitignore/,
    );
    writeFileSync(join(dir, ".gitignore"), ".ebdb/\n.env\n");
    expect((await ebdb("env", "--out", ".env")).err).not.toMatch(/git does not ignore/);
  });

  test("a password dotenv cannot carry: exit 2, the old file kept as it was, no temporary left", async () => {
    const file = join(dir, ".env");
    const before = readFileSync(file, "utf8");
    config("a'b\\$d1x-long-enough"); // a ' with a $: no dotenv quoting carries it to all four readers
    const up = await ebdb("up", "--yes");
    expect(up.code, up.err).toBe(0);
    const r = await ebdb("env", "--out", ".env");
    expect(r.code).toBe(2);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(spawnSync("ls", ["-A", dir], { encoding: "utf8" }).stdout).not.toMatch(/ebdb-.*\.tmp/);
  });
});
