import { userError } from "../errors.js";

// YYYY-MM-DD, T (or a space), hh:mm[:ss[.fraction]], then Z or an offset ±hh[:]mm.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;

const HINT =
  "RDS restores to a UTC time written like 2024-01-15T12:00:00Z (RestoreDBInstanceToPointInTime's RestoreTime); " +
  "an offset such as 2024-01-15T13:00:00+01:00 is converted to UTC.";

/** Days in `month` (1-12) of `year` in the proleptic Gregorian calendar (leap: /4, not /100 unless /400). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A point in time from --to-time: ISO-8601 `YYYY-MM-DDThh:mm[:ss[.fff]]` with `Z` or an offset
 * (`+01:00`, `-0500`), as RDS's RestoreTime takes it (UTC, e.g. 2009-09-07T23:45:00Z, per the
 * RestoreDBInstanceToPointInTime API reference). Every field must exist as written: February 30,
 * hour 24, minute 60, month 13, an offset beyond ±14:00 are refused (BAD_TIME, a user error),
 * never rolled over into another date as `new Date()` would. Fractions finer than a millisecond
 * are truncated.
 */
export function parseRestoreTime(text: string): Date {
  const m = ISO.exec(text.trim());
  if (!m) throw badTime(text, "is not an ISO-8601 time with a time zone");
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const wrong =
    month < 1 || month > 12
      ? `month ${m[2]} does not exist (01-12)`
      : day < 1 || day > daysInMonth(year, month)
        ? `${monthName(month)} ${year} has no day ${m[3]} (it has ${daysInMonth(year, month)} days)`
        : hour > 23
          ? `hour ${m[4]} does not exist (00-23)`
          : minute > 59
            ? `minute ${m[5]} does not exist (00-59)`
            : second > 59
              ? `second ${m[6]} does not exist (00-59)`
              : undefined;
  if (wrong) throw badTime(text, `is not a real time: ${wrong}`);
  let offsetMinutes = 0;
  if (m[9]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (om > 59 || oh * 60 + om > 14 * 60) {
      throw badTime(text, `has a UTC offset of ${m[9]}${m[10]}:${m[11]}, beyond the ±14:00 that exist`);
    }
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const utc = new Date(0);
  // setUTCFullYear keeps years 0-99 as written (Date.UTC would read them as 1900-1999).
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute - offsetMinutes, second, ms);
  return utc;
}

function monthName(month: number): string {
  return new Date(Date.UTC(2000, month - 1, 1)).toLocaleString("en-US", { month: "long", timeZone: "UTC" });
}

function badTime(text: string, what: string) {
  return userError("BAD_TIME", `--to-time ${text} ${what}.`, HINT);
}
