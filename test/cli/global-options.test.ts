import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// Options before the command (the README: every command takes --config), and what a mistyped
// command or option prints: the error, commander's "Did you mean", one line naming the help; exit 2.
const dir = mkdtempSync(join(tmpdir(), "ebdb-cli-global-"));
const good = join(dir, "good.env");
const bad = join(dir, "bad.env");
writeFileSync(good, 'APP_NAME="shop"\nENV_NAME="prod"\n');
writeFileSync(bad, 'APP_NAME="shop"\nENV_NAME="prod"\nDB_BACKUP_RETENTION_DAYS="900"\n');
const env = { ...process.env, EBDB_TARGET: "", EBDB_CONFIG: "" };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}

describe("options before the command", () => {
  test("--config before the command is the file read, as after it", async () => {
    const before = await ebdb("--config", good, "validate");
    expect(before.code, before.err).toBe(0);
    const wrong = await ebdb("--config", bad, "validate");
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("DB_BACKUP_RETENTION_DAYS");
    // After the command it still works, and wins over the one before.
    expect((await ebdb("--config", bad, "validate", "--config", good)).code).toBe(0);
  });

  test("--json and --target before the command", async () => {
    const r = await ebdb("--json", "--target", "aws", "--config", good, "config");
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toBeTypeOf("object");
    const t = await ebdb("--target", "mars", "validate");
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--target.*mars.*local, aws/);
  });
});

describe("a mistyped command or option", () => {
  const cases: [string[], RegExp, string][] = [
    [
      ["up", "--aply-immediately"],
      /unknown option '--aply-immediately'\n\(Did you mean --apply-immediately\?\)/,
      "ebdb up",
    ],
    [["snapshot", "crete"], /unknown command 'crete'\n\(Did you mean create\?\)/, "ebdb snapshot"],
    [["frobnicate"], /unknown command 'frobnicate'/, "ebdb"],
    [
      ["env", "--format", "yaml"],
      /argument 'yaml' is invalid. Allowed choices are dotenv, json, shell/,
      "ebdb env",
    ],
  ];
  test.each(cases)("%j: the error, the hint, one line naming the help; exit 2", async (argv, error, cmd) => {
    const r = await ebdb(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(error);
    expect(r.err.trimEnd().split("\n").at(-1)).toBe(`Run \`${cmd} --help\` for usage.`);
    expect(r.err).not.toMatch(/Usage:|Options:|Commands:/);
    expect(r.err.trimEnd().split("\n").length).toBeLessThanOrEqual(3);
  });

  test("the installed command exits 2 with the same three lines", () => {
    const r = spawnSync(
      process.execPath,
      [resolve(__dirname, "../../bin/ebdb.js"), "up", "--aply-immediately"],
      {
        cwd: dir,
        env,
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "error: unknown option '--aply-immediately'\n(Did you mean --apply-immediately?)\nRun `ebdb up --help` for usage.\n",
    );
  });
});
