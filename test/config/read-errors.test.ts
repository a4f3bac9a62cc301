import { beforeEach, describe, expect, it, vi } from "vitest";
import type { EbdbError } from "../../src/errors.js";

// Root reads any file, so permission errors are simulated at the fs boundary.
const fsMock = vi.hoisted(() => ({ open: vi.fn(), stat: vi.fn() }));
vi.mock("node:fs/promises", () => fsMock);

const { readConfigBytes } = await import("../../src/config/read.js");

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

function regular(size: number) {
  const no = () => false;
  return {
    size,
    isFile: () => true,
    isDirectory: no,
    isFIFO: no,
    isCharacterDevice: no,
    isBlockDevice: no,
    isSocket: no,
  };
}

async function failure(): Promise<EbdbError> {
  return (await readConfigBytes("/srv/app/config.env").catch((e: unknown) => e)) as EbdbError;
}

describe("readConfigBytes maps file-system errors to user errors", () => {
  beforeEach(() => {
    fsMock.open.mockReset();
    fsMock.stat.mockReset();
    fsMock.stat.mockResolvedValue(regular(100));
  });

  it("permission denied is CONFIG_UNREADABLE", async () => {
    fsMock.open.mockRejectedValue(errno("EACCES"));
    const e = await failure();
    expect(e.code).toBe("CONFIG_UNREADABLE");
    expect(e.fault).toBe("user");
    expect(e.message).toBe("/srv/app/config.env cannot be read: permission denied.");
  });

  it("an unexpected error is CONFIG_UNREADABLE naming the error code", async () => {
    fsMock.open.mockRejectedValue(errno("EIO"));
    const e = await failure();
    expect(e.code).toBe("CONFIG_UNREADABLE");
    expect(e.message).toContain("EIO");
  });

  it("permission denied on stat is CONFIG_UNREADABLE too", async () => {
    fsMock.stat.mockRejectedValue(errno("EACCES"));
    const e = await failure();
    expect(e.code).toBe("CONFIG_UNREADABLE");
    expect(fsMock.open).not.toHaveBeenCalled();
  });

  it("a file that grew past the limit after stat is refused once the limit is read", async () => {
    const close = vi.fn(async () => {});
    // stat says small; the read keeps returning bytes (like a file being appended to).
    const read = vi.fn(async (_b: Uint8Array, _o: number, length: number) => ({ bytesRead: length }));
    fsMock.open.mockResolvedValue({ stat: async () => regular(10), read, close });
    const e = await failure();
    expect(e.code).toBe("CONFIG_UNREADABLE");
    expect(e.message).toBe(
      "/srv/app/config.env is larger than the limit: ebdb reads a configuration file of at most 1 MiB (1,048,576 bytes).",
    );
    expect(close).toHaveBeenCalled();
  });
});
