import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";

/** Every temporary folder a case made, removed at the end (a config.env may hold a password). */
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function folder(name = "My Shop"): string {
  const root = mkdtempSync(join(tmpdir(), "ebdb-init-"));
  made.push(root);
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

async function ebdb(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t), color: false, isTTY: false };
  const code = await main(args, output, {}, cwd);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("ebdb init", () => {
  it("writes a commented config.env that validates without a warning, and ignores .ebdb/", async () => {
    const dir = folder();
    const r = await ebdb(["init"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('APP_NAME="my-shop"');
    const text = readFileSync(join(dir, "config.env"), "utf8");
    expect(text).toContain('APP_NAME="my-shop"');
    expect(text).toContain('DB_BACKUP_RETENTION_DAYS="7"');
    expect(text).toMatch(/^# .+$/m);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toMatch(/^\.ebdb\/$/m);
    const v = await ebdb(["validate"], dir);
    expect(v).toMatchObject({ code: 0, stderr: "" });
  });

  it("refuses to overwrite without --force (exit 2), and overwrites with it", async () => {
    const dir = folder("shop");
    writeFileSync(join(dir, "config.env"), 'DB_ENGINE="mysql"\n');
    const r = await ebdb(["init"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.env already exists/);
    expect(r.stderr).toMatch(/--force/);
    expect(readFileSync(join(dir, "config.env"), "utf8")).toBe('DB_ENGINE="mysql"\n');
    const f = await ebdb(["init", "--force"], dir);
    expect(f.code).toBe(0);
    expect(readFileSync(join(dir, "config.env"), "utf8")).toContain('DB_ENGINE="postgres"');
  });

  it("appends .ebdb/ to an existing .gitignore once", async () => {
    const dir = folder("shop");
    writeFileSync(join(dir, ".gitignore"), "node_modules/");
    await ebdb(["init"], dir);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n.ebdb/\n");
    await ebdb(["init", "--force"], dir);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n.ebdb/\n");
  });

  it("writes where --config says", async () => {
    const dir = folder("shop");
    const r = await ebdb(["init", "--config", "deploy/prod.env"], dir);
    expect(r.code).toBe(0);
    // APP_NAME comes from the file's folder.
    expect(readFileSync(join(dir, "deploy", "prod.env"), "utf8")).toContain('APP_NAME="deploy"');
  });
});
