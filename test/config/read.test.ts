import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { configPathFor, MAX_CONFIG_BYTES, readConfigBytes, readRegularFile } from "../../src/config/read.js";
import { EbdbError, userError } from "../../src/errors.js";
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

  it("refuses an empty --config rather than falling back to ./config.env", () => {
    const e = (() => {
      try {
        configPathFor(ctx({ configPath: "", env: { EBDB_CONFIG: "envs/prod.env" } }));
      } catch (err) {
        return err as EbdbError;
      }
    })();
    expect(e).toBeInstanceOf(EbdbError);
    expect(e?.code).toBe("CONFIG_PATH_EMPTY");
    expect(e?.exitCode).toBe(2);
    expect(e?.message).toBe("--config was given an empty path.");
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

  it("reads a file of exactly the limit, and refuses one byte more naming the file and the limit", async () => {
    const file = join(root, "limit.env");
    writeFileSync(file, new Uint8Array(MAX_CONFIG_BYTES).fill(0x23));
    expect((await readConfigBytes(file)).length).toBe(MAX_CONFIG_BYTES);
    writeFileSync(file, new Uint8Array(MAX_CONFIG_BYTES + 1).fill(0x23));
    const e = (await readConfigBytes(file).catch((x: unknown) => x)) as EbdbError;
    expect(e.code).toBe("CONFIG_UNREADABLE");
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      `${file} is 1,048,577 bytes: ebdb reads a configuration file of at most 1 MiB (1,048,576 bytes).`,
    );
  });

  it.each(["/dev/zero", "/dev/urandom", "/dev/null"])(
    "%s is refused as not a regular file, without reading it",
    async (dev) => {
      const e = (await readConfigBytes(dev).catch((x: unknown) => x)) as EbdbError;
      expect(e.code).toBe("CONFIG_UNREADABLE");
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(
        `${dev} is a device, not a regular file: ebdb reads its configuration only from a regular file.`,
      );
    },
  );

  it.skipIf(process.platform === "win32")(
    "a named pipe is refused at once, without waiting for a writer",
    async () => {
      const fifo = join(root, "pipe.env");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      const started = Date.now();
      const e = (await readConfigBytes(fifo).catch((x: unknown) => x)) as EbdbError;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(e.code).toBe("CONFIG_UNREADABLE");
      expect(e.message).toMatch(/is a named pipe \(FIFO\), not a regular file/);
    },
    5000,
  );

  it("follows a symlink to a regular file", async () => {
    const target = join(root, "real.env");
    writeFileSync(target, "A=2\n");
    const link = join(root, "link.env");
    spawnSync("ln", ["-sf", target, link]);
    expect(new TextDecoder().decode(await readConfigBytes(link))).toBe("A=2\n");
  });

  it("reads other files the user names the same way, with their own limit, code and words", async () => {
    const trace = {
      code: "TRACE_UNREADABLE",
      maxBytes: 10,
      noun: "load trace",
      reads: "a load trace",
      hint: "Give a CSV file.",
      notFound: (path: string) => userError("TRACE_NOT_FOUND", `No load trace at ${path}.`),
    };
    const file = join(root, "trace.csv");
    writeFileSync(file, "0123456789");
    expect((await readRegularFile(file, trace)).length).toBe(10);
    writeFileSync(file, "0123456789A");
    await expect(readRegularFile(file, trace)).rejects.toMatchObject({
      code: "TRACE_UNREADABLE",
      message: `${file} is 11 bytes: ebdb reads a load trace of at most 10 bytes.`,
      hint: "Give a CSV file.",
    });
    await expect(readRegularFile("/dev/zero", trace)).rejects.toMatchObject({
      message: "/dev/zero is a device, not a regular file: ebdb reads a load trace only from a regular file.",
    });
    await expect(readRegularFile(join(root, "none.csv"), trace)).rejects.toMatchObject({
      code: "TRACE_NOT_FOUND",
    });
  });
});
