import { describe, expect, it } from "vitest";
import { main, reportError } from "../../src/cli/main.js";
import { userError } from "../../src/errors.js";
import { captureOutput } from "../fixtures/output.js";

describe("cli main", () => {
  it("rejects an unknown command with exit 2 and a usage hint, no stack trace", async () => {
    const o = captureOutput();
    const code = await main(["frobnicate"], o, {}, process.cwd());
    expect(code).toBe(2);
    expect(o.stderr()).toMatch(/unknown command 'frobnicate'/);
    expect(o.stderr()).not.toMatch(/\n\s+at /);
  });

  it("rejects an unknown flag with exit 2", async () => {
    const o = captureOutput();
    expect(await main(["validate", "--no-such-flag"], o, {}, process.cwd())).toBe(2);
    expect(o.stderr()).toMatch(/unknown option '--no-such-flag'/);
  });

  it("rejects a bad --target value naming the choices", async () => {
    const o = captureOutput();
    expect(await main(["status", "--target", "gcp"], o, {}, process.cwd())).toBe(2);
    expect(o.stderr()).toMatch(/local, aws/);
  });

  it("rejects a bad EBDB_TARGET with exit 2 and says how to fix it", async () => {
    const o = captureOutput();
    expect(await main(["status"], o, { EBDB_TARGET: "prod" }, process.cwd())).toBe(2);
    expect(o.stderr()).toMatch(/EBDB_TARGET is "prod"/);
    expect(o.stderr()).toMatch(/local or aws/);
  });

  it("prints help and exits 0", async () => {
    const o = captureOutput();
    expect(await main(["--help"], o, {}, process.cwd())).toBe(0);
    expect(o.stdout()).toMatch(/validate/);
  });

  it("maps a user error to exit 2 with its hint, and JSON when asked", () => {
    const o = captureOutput();
    expect(reportError(userError("X", "bad thing", "do this"), {}, o)).toBe(2);
    expect(o.stderr()).toBe("error: bad thing\n  do this\n");
    const j = captureOutput();
    reportError(userError("X", "bad thing", "do this"), { json: true }, j);
    expect(JSON.parse(j.stdout())).toEqual({
      ok: false,
      error: { code: "X", message: "bad thing", hint: "do this" },
    });
  });

  it("calls an unexpected error a bug, without a stack trace unless --debug", () => {
    const o = captureOutput();
    expect(reportError(new TypeError("x is undefined"), {}, o)).toBe(1);
    expect(o.stderr()).toMatch(/internal error \(this is a bug in ebdb\): x is undefined/);
    expect(o.stderr()).not.toMatch(/\n\s+at /);
    const d = captureOutput();
    reportError(new TypeError("x is undefined"), { debug: true }, d);
    expect(d.stderr()).toMatch(/\n\s+at /);
  });
});
