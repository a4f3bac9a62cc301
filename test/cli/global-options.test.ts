import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// Options before the command (the README: every command takes --config).
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
