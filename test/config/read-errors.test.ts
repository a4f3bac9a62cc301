import { beforeEach, describe, expect, it, vi } from "vitest";
import type { EbdbError } from "../../src/errors.js";

// Root reads any file, so permission and size errors are simulated at the fs boundary.
const fsMock = vi.hoisted(() => ({ open: vi.fn() }));
vi.mock("node:fs/promises", () => fsMock);

const { readConfigBytes } = await import("../../src/config/read.js");

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

async function failure(): Promise<EbdbError> {
  return (await readConfigBytes("/srv/app/config.env").catch((e: unknown) => e)) as EbdbError;
}

describe("readConfigBytes maps file-system errors to user errors", () => {
  beforeEach(() => {
    fsMock.open.mockReset();
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

  it("a file too large to be a configuration is refused before it is read", async () => {
    const readFile = vi.fn();
    const close = vi.fn(async () => {});
    fsMock.open.mockResolvedValue({ stat: async () => ({ size: 200 * 1024 * 1024 }), readFile, close });
    const e = await failure();
    expect(e.code).toBe("CONFIG_UNREADABLE");
    expect(e.message).toMatch(/200 MiB/);
    expect(readFile).not.toHaveBeenCalled();
    expect(close).toHaveBeenCalled();
  });
});
