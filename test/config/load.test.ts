import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { loadConfig, requireConfig } from "../../src/config/load.js";
import { isEbdbError } from "../../src/errors.js";
import { RecordingIoHost } from "../../src/io.js";

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function ctxWith(content: string, mode = 0o600): CommandContext & { io: RecordingIoHost } {
  const parent = mkdtempSync(join(tmpdir(), "ebdb-load-"));
  made.push(parent);
  const dir = join(parent, "shop");
  mkdirSync(dir);
  writeFileSync(join(dir, "config.env"), content, { mode });
  return { cwd: dir, env: {}, io: new RecordingIoHost() };
}

describe("loadConfig and requireConfig", () => {
  it("merges the parser's problems with the rules', in line order", async () => {
    const r = await loadConfig(ctxWith('DB_MULTI_AZ="no"\nX=$(id)\nDB_PORT="1"\n'));
    expect(r.config).toBeNull();
    expect(r.problems.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(r.entries.map((e) => e.key)).toEqual(["DB_MULTI_AZ", "DB_PORT"]);
  });

  it("a file other users may read that holds DB_MASTER_PASSWORD is a warning naming the mode and the fix", async () => {
    const ctx = ctxWith('DB_MASTER_PASSWORD="Str0ng-and-long-enough"\n', 0o644);
    await requireConfig(ctx);
    expect(ctx.io.messages("warning")).toEqual([
      expect.stringMatching(
        /^config\.env:1: DB_MASTER_PASSWORD: the file holds DB_MASTER_PASSWORD and other users may read it \(mode 0644\)/,
      ),
    ]);
    expect(JSON.stringify(ctx.io.events)).toMatch(/chmod 600/);
    expect(JSON.stringify(ctx.io.events)).not.toContain("Str0ng-and-long-enough");
    // Owner-only, or no password in the file: nothing to say.
    expect((await loadConfig(ctxWith('DB_MASTER_PASSWORD="Str0ng-and-long-enough"\n'))).problems).toEqual([]);
    expect((await loadConfig(ctxWith('DB_NAME="app"\n', 0o644))).problems).toEqual([]);
  });

  it("requireConfig gives the Config and sends warnings to the IoHost", async () => {
    const ctx = ctxWith('DB_MASTER_PASSWORD="lowercaseonly"\n');
    const c = await requireConfig(ctx);
    expect(c.appName).toBe("shop");
    expect(ctx.io.messages("warning")).toEqual([
      expect.stringMatching(/^config\.env:1: DB_MASTER_PASSWORD: is weak/),
    ]);
    expect(JSON.stringify(ctx.io.events)).not.toContain("lowercaseonly");
  });

  it("requireConfig throws CONFIG_INVALID (exit 2) listing every error", async () => {
    const err = await requireConfig(ctxWith('DB_ENGINE="db2"\nDB_STORAGE_TYPE="ssd"\n')).catch((e) => e);
    expect(isEbdbError(err)).toBe(true);
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("config.env has 2 errors:");
    expect(err.message).toContain("config.env:1: error: DB_ENGINE:");
    expect(err.message).toContain("config.env:2: error: DB_STORAGE_TYPE:");
    expect(err.details.problems).toHaveLength(2);
  });

  it("requireConfig lists the first 100 errors of a huge file, then how many more", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `UNKNOWN_${i}=1`).join("\n");
    const err = await requireConfig(ctxWith(lines)).catch((e) => e);
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain("config.env has 20000 errors:");
    expect(err.message.split("\n").filter((l: string) => /^config\.env:\d+: /.test(l))).toHaveLength(100);
    expect(err.message).toContain("config.env: and 19900 more problems not shown (19900 errors)");
    expect(err.details).toMatchObject({ errors: 20000, warnings: 0, omitted: 19900 });
    expect(err.details.problems).toHaveLength(100);
  });
});
