import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { loadConfig } from "../../src/config/load.js";
import { findConfigFile } from "../../src/config/read.js";
import type { EbdbError } from "../../src/errors.js";
import { RecordingIoHost } from "../../src/io.js";

const root = mkdtempSync(join(tmpdir(), "ebdb-find-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder tree under root: `files` maps relative paths to contents (a trailing / makes a folder). */
function tree(files: Record<string, string>): string {
  const base = mkdtempSync(join(root, "t-"));
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith("/")) mkdirSync(join(base, path), { recursive: true });
    else {
      mkdirSync(join(base, path, ".."), { recursive: true });
      writeFileSync(join(base, path), text);
    }
  }
  return base;
}

const ctx = (cwd: string, over: Partial<CommandContext> = {}): CommandContext & { io: RecordingIoHost } => ({
  cwd,
  env: {},
  ...over,
  io: new RecordingIoHost(),
});
const failure = (p: Promise<unknown>) => p.then(() => null).catch((e) => e as EbdbError);

describe("findConfigFile: the nearest config.env, as git finds .git", () => {
  it("takes ./config.env first", async () => {
    const base = tree({ "config.env": "", "app/config.env": "" });
    expect(await findConfigFile(ctx(join(base, "app")))).toEqual({
      file: join(base, "app", "config.env"),
      how: "cwd",
    });
  });

  it("from a subfolder, the nearest config.env above (passing over a folder named config.env)", async () => {
    const base = tree({ "config.env": "", "a/config.env/": "", "a/b/c/": "" });
    expect(await findConfigFile(ctx(join(base, "a", "b", "c")))).toEqual({
      file: join(base, "config.env"),
      how: "parent",
    });
    const nearer = tree({ "config.env": "", "a/config.env": "", "a/b/": "" });
    expect((await findConfigFile(ctx(join(nearer, "a", "b")))).file).toBe(join(nearer, "a", "config.env"));
  });

  it("--config and $EBDB_CONFIG are taken as given, never looked for above", async () => {
    const base = tree({ "config.env": "", "sub/": "" });
    const sub = join(base, "sub");
    expect(await findConfigFile(ctx(sub, { configPath: "x.env" }))).toEqual({
      file: join(sub, "x.env"),
      how: "flag",
    });
    expect(await findConfigFile(ctx(sub, { env: { EBDB_CONFIG: "y.env" } }))).toEqual({
      file: join(sub, "y.env"),
      how: "env",
    });
    const e = await failure(loadConfig(ctx(sub, { configPath: "x.env" })));
    expect(e?.code).toBe("CONFIG_NOT_FOUND");
    expect(e?.message).toBe(`No configuration file at ${join(sub, "x.env")}.`);
  });

  it("none here or above: CONFIG_NOT_FOUND (exit 2) saying where it looked", async () => {
    const base = tree({ "a/b/": "" });
    const e = await failure(findConfigFile(ctx(join(base, "a", "b"))));
    expect(e).toMatchObject({ code: "CONFIG_NOT_FOUND", exitCode: 2 });
    expect(e?.message).toBe(`No config.env in ${join(base, "a", "b")} or any folder above it.`);
    expect(e?.hint).toMatch(/ebdb init.*--config/);
  });

  it.runIf(process.getuid?.() === 0)(
    "refuses another user's config.env above (CONFIG_NOT_OURS), but not one here",
    async () => {
      const base = tree({ "config.env": "", "sub/": "", "own/config.env": "" });
      chownSync(join(base, "config.env"), 4242, 4242);
      const e = await failure(findConfigFile(ctx(join(base, "sub"))));
      expect(e).toMatchObject({ code: "CONFIG_NOT_OURS", exitCode: 2 });
      expect(e?.message).toContain(`${join(base, "config.env")}, belongs to another user (uid 4242)`);
      expect(e?.hint).toContain(`--config ${join(base, "config.env")}`);
      chownSync(join(base, "own", "config.env"), 4242, 4242);
      expect((await findConfigFile(ctx(join(base, "own")))).how).toBe("cwd");
    },
  );

  it("loadConfig names the file it took from above in one info event, and reads it", async () => {
    const base = tree({ "shop/config.env": 'DB_NAME="orders"\n', "shop/src/api/": "" });
    const c = ctx(join(base, "shop", "src", "api"));
    const r = await loadConfig(c);
    expect(r.file).toBe(join(base, "shop", "config.env"));
    expect(r.config?.dbName).toBe("orders");
    // APP_NAME comes from the config file's folder, not the working folder.
    expect(r.config?.appName).toBe("shop");
    expect(c.io.events).toEqual([
      {
        type: "info",
        message: `Using ${join(base, "shop", "config.env")} (the nearest config.env above this folder)`,
      },
    ]);
    const here = ctx(join(base, "shop"));
    await loadConfig(here);
    expect(here.io.events).toEqual([]);
  });
});
