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

  test.each([
    ["2026-02-30T00:00:00Z", "February 2026 has no day 30 (it has 28 days)"],
    ["2025-02-29T12:00:00Z", "February 2025 has no day 29 (it has 28 days)"],
    ["1900-02-29T12:00:00Z", "February 1900 has no day 29"],
    ["2026-04-31T00:00:00Z", "April 2026 has no day 31 (it has 30 days)"],
    ["2026-01-00T00:00:00Z", "January 2026 has no day 00"],
    ["2026-13-01T00:00:00Z", "month 13 does not exist (01-12)"],
    ["2026-00-10T00:00:00Z", "month 00 does not exist"],
    ["2026-01-15T24:00:01Z", "hour 24 does not exist (00-23)"],
    ["2026-01-15T24:00:00Z", "hour 24 does not exist"],
    ["2026-01-15T12:60:00Z", "minute 60 does not exist"],
    ["2026-01-15T12:00:60Z", "second 60 does not exist"],
    ["2026-01-15T12:00:00+15:00", "beyond the ±14:00"],
    ["2026-01-15T12:00:00+01:75", "beyond the ±14:00"],
  ])("%s is refused, not rolled over into another date", (t, why) => {
    expect(() => parseRestoreTime(t)).toThrow(
      expect.objectContaining({
        code: "BAD_TIME",
        fault: "user",
        message: expect.stringContaining(why),
        hint: expect.stringMatching(/RDS restores to a UTC time written like 2024-01-15T12:00:00Z/),
      }),
    );
  });

  test.each([
    ["2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"],
    ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
    ["2024-12-31T23:59:59.999999Z", "2024-12-31T23:59:59.999Z"],
    ["2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00.000Z"],
    ["2024-01-15t12:00:00z", "2024-01-15T12:00:00.000Z"],
    ["2024-01-15T12:00:00-14:00", "2024-01-16T02:00:00.000Z"],
  ])("%s is the instant %s", (t, iso) => {
    expect(parseRestoreTime(t).toISOString()).toBe(iso);
  });

  test("exactly one source", () => {
    expect(restoreSource({ latest: true })).toEqual({ kind: "latest" });
    expect(restoreSource({ fromSnapshot: "s1" })).toEqual({ kind: "snapshot", id: "s1" });
    expect(() => restoreSource({})).toThrow(expect.objectContaining({ code: "BAD_RESTORE_SOURCE" }));
    expect(() => restoreSource({ latest: true, fromSnapshot: "x" })).toThrow(/only one/);
  });
});
