import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { configPathFor, readConfigBytes } from "../../src/config/read.js";
import { EbdbError } from "../../src/errors.js";
import { RecordingIoHost } from "../../src/io.js";

const root = mkdtempSync(join(tmpdir(), "ebdb-read-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function ctx(over: Partial<CommandContext> = {}): CommandContext {
  return { cwd: "/work/app", env: {}, io: new RecordingIoHost(), ...over };
}

describe("configPathFor", () => {
  it("is ./config.env by default", () => {
    expect(configPathFor(ctx())).toBe("/work/app/config.env");
  });

  it("takes EBDB_CONFIG, relative to the working folder", () => {
    expect(configPathFor(ctx({ env: { EBDB_CONFIG: "envs/prod.env" } }))).toBe("/work/app/envs/prod.env");
    expect(configPathFor(ctx({ env: { EBDB_CONFIG: "/etc/ebdb.env" } }))).toBe("/etc/ebdb.env");
  });

  it("takes --config over EBDB_CONFIG, relative to the working folder", () => {
    const c = ctx({ configPath: "../other/config.env", env: { EBDB_CONFIG: "envs/prod.env" } });
    expect(configPathFor(c)).toBe("/work/other/config.env");
  });

  it("treats an empty EBDB_CONFIG as not set", () => {
    expect(configPathFor(ctx({ env: { EBDB_CONFIG: "" } }))).toBe("/work/app/config.env");
  });
});

describe("readConfigBytes", () => {
  it("returns the file's bytes as they are", async () => {
    const file = join(root, "ok.env");
    writeFileSync(file, new Uint8Array([0x41, 0x3d, 0xff, 0x0a]));
    expect([...(await readConfigBytes(file))]).toEqual([0x41, 0x3d, 0xff, 0x0a]);
  });

  it("reads the file named by --config through configPathFor", async () => {
    mkdirSync(join(root, "envs"), { recursive: true });
    writeFileSync(join(root, "envs", "staging.env"), "A=1\n");
    const path = configPathFor(ctx({ cwd: root, configPath: "envs/staging.env" }));
    expect(new TextDecoder().decode(await readConfigBytes(path))).toBe("A=1\n");
  });

  it("a missing file is CONFIG_NOT_FOUND, a user error that suggests ebdb init and --config", async () => {
    const err = await readConfigBytes(join(root, "missing.env")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EbdbError);
    const e = err as EbdbError;
    expect(e.code).toBe("CONFIG_NOT_FOUND");
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("missing.env");
    expect(e.hint).toMatch(/ebdb init/);
    expect(e.hint).toMatch(/--config/);
  });

  it("a folder is CONFIG_UNREADABLE", async () => {
    const err = (await readConfigBytes(root).catch((e: unknown) => e)) as EbdbError;
    expect(err.code).toBe("CONFIG_UNREADABLE");
    expect(err.fault).toBe("user");
    expect(err.message).toMatch(/folder/);
  });

  it.skipIf(process.getuid?.() === 0)("a file without read permission is CONFIG_UNREADABLE", async () => {
    const file = join(root, "locked.env");
    writeFileSync(file, "A=1\n");
    chmodSync(file, 0o000);
    const err = (await readConfigBytes(file).catch((e: unknown) => e)) as EbdbError;
    expect(err.code).toBe("CONFIG_UNREADABLE");
    expect(err.message).toMatch(/permission denied/);
  });

  it("a path through a regular file is CONFIG_NOT_FOUND", async () => {
    const file = join(root, "plain.env");
    writeFileSync(file, "A=1\n");
    const err = (await readConfigBytes(join(file, "config.env")).catch((e: unknown) => e)) as EbdbError;
    expect(err.code).toBe("CONFIG_NOT_FOUND");
  });
});
