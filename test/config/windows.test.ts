import { describe, expect, it } from "vitest";
import { parseDailyWindow, parseWeeklyWindow, windowsOverlap } from "../../src/config/rules-backups.js";

const daily = (s: string) => {
  const w = parseDailyWindow(s);
  if (typeof w === "string") throw new Error(w);
  return w;
};
const weekly = (s: string) => {
  const w = parseWeeklyWindow(s);
  if (typeof w === "string") throw new Error(w);
  return w;
};

describe("backup and maintenance windows", () => {
  it("measures windows, across midnight and the week's end", () => {
    expect(daily("03:00-04:00")).toEqual({ start: 180, minutes: 60 });
    expect(daily("23:30-00:15")).toEqual({ start: 1410, minutes: 45 });
    expect(weekly("sun:04:30-sun:05:30")).toEqual({ start: 6 * 1440 + 270, minutes: 60 });
    expect(weekly("sun:23:30-mon:00:30").minutes).toBe(60);
    expect(weekly("mon:00:00-sun:23:59").minutes).toBe(7 * 1440 - 1);
  });

  it.each([
    ["03:00-04:00", "sun:04:30-sun:05:30", false],
    ["03:00-04:00", "sun:04:00-sun:05:00", false], // touching is not overlapping
    ["03:00-04:00", "sun:03:59-sun:05:00", true],
    ["03:00-04:00", "tue:02:00-tue:03:01", true],
    ["03:00-04:00", "tue:01:00-wed:01:00", true], // a long window covers a whole day's backup
    ["22:00-23:00", "mon:23:00-tue:02:59", false],
    ["23:30-00:30", "mon:00:00-mon:00:30", true], // the backup crosses midnight into Monday
    ["23:30-00:30", "sun:23:00-sun:23:30", false],
    ["00:10-00:40", "sun:23:50-mon:00:20", true], // the maintenance crosses the week's end
    ["00:10-00:40", "sat:23:50-sun:00:10", false],
  ])("backup %s vs maintenance %s: overlap %s", (b, m, expected) => {
    expect(windowsOverlap(daily(b), weekly(m))).toBe(expected);
  });
});
