import { describe, expect, test } from "vitest";
import { parseRestoreTime, restoreSource } from "../../src/api/restore.js";

describe("restore arguments", () => {
  test.each([
    "2024-01-15T12:00:00Z",
    "2024-01-15T12:00:00.123Z",
    "2024-01-15 12:00:00+01:00",
    "2024-01-15T12:00Z",
    "2024-01-15T12:00:00-0500",
  ])("%s is a point in time", (t) => {
    expect(Number.isNaN(parseRestoreTime(t).getTime())).toBe(false);
  });

  test("the zone is honoured", () => {
    expect(parseRestoreTime("2024-01-15T13:00:00+01:00").toISOString()).toBe("2024-01-15T12:00:00.000Z");
  });

  test.each(["2024-01-15T12:00:00", "yesterday", "2024-13-45T12:00:00Z", "1705320000"])(
    "%s is a user error with an example",
    (t) => {
      expect(() => parseRestoreTime(t)).toThrow(
        expect.objectContaining({
          code: "BAD_TIME",
          fault: "user",
          hint: expect.stringContaining("2024-01-15T12:00:00Z"),
        }),
      );
    },
  );

  test("exactly one source", () => {
    expect(restoreSource({ latest: true })).toEqual({ kind: "latest" });
    expect(restoreSource({ fromSnapshot: "s1" })).toEqual({ kind: "snapshot", id: "s1" });
    expect(() => restoreSource({})).toThrow(expect.objectContaining({ code: "BAD_RESTORE_SOURCE" }));
    expect(() => restoreSource({ latest: true, fromSnapshot: "x" })).toThrow(/only one/);
  });
});
