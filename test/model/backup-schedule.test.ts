import { describe, expect, test } from "vitest";
import { dailyBackupDue, parseWindow } from "../../src/model/backup-schedule.js";

const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;

describe("the daily automated backup's schedule (DB_BACKUP_WINDOW, as RDS)", () => {
  test("windows, including one past midnight; anything else is no window", () => {
    expect(parseWindow("03:00-04:00")).toEqual({ startMs: 3 * H, lengthMs: H });
    expect(parseWindow("23:30-00:30")).toEqual({ startMs: 23.5 * H, lengthMs: H });
    for (const bad of ["3:00-04:00", "03:00-03:00", "24:00-01:00", "03:60-04:00", ""])
      expect(parseWindow(bad)).toBeNull();
  });

  test("no backup yet: due at once, in or out of the window", () => {
    expect(dailyBackupDue(null, at("2026-01-10T12:00:00Z"), "03:00-04:00")).toBe(true);
  });

  test("inside the window once a day: due when none was taken since it opened, not again after", () => {
    const w = "03:00-04:00";
    const yesterday = at("2026-01-09T03:10:00Z");
    expect(dailyBackupDue(yesterday, at("2026-01-10T02:59:00Z"), w)).toBe(false);
    expect(dailyBackupDue(yesterday, at("2026-01-10T03:00:00Z"), w)).toBe(true);
    // Yesterday's was taken late in its window: today's is still due when the window opens.
    expect(dailyBackupDue(at("2026-01-09T03:58:00Z"), at("2026-01-10T03:01:00Z"), w)).toBe(true);
    expect(dailyBackupDue(at("2026-01-10T03:05:00Z"), at("2026-01-10T03:40:00Z"), w)).toBe(false);
    expect(dailyBackupDue(yesterday, at("2026-01-10T04:00:00Z"), w)).toBe(false);
  });

  test("a window past midnight, and a missed window is made up at once", () => {
    const w = "23:30-00:30";
    expect(dailyBackupDue(at("2026-01-09T23:40:00Z"), at("2026-01-11T00:10:00Z"), w)).toBe(true);
    expect(dailyBackupDue(at("2026-01-10T23:45:00Z"), at("2026-01-11T00:10:00Z"), w)).toBe(false);
    // The machine was off through a whole window: the backup comes as soon as it can.
    expect(dailyBackupDue(at("2026-01-08T03:10:00Z"), at("2026-01-10T12:00:00Z"), "03:00-04:00")).toBe(true);
  });

  test("without a window, or with a shortened day (tests), due once a day has passed", () => {
    expect(dailyBackupDue(0, 86_399_999, null)).toBe(false);
    expect(dailyBackupDue(0, 86_400_000, null)).toBe(true);
    expect(dailyBackupDue(1000, 2999, "03:00-04:00", 2000)).toBe(false);
    expect(dailyBackupDue(1000, 3000, "03:00-04:00", 2000)).toBe(true);
  });
});
