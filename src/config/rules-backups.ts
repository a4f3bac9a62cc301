import { type Findings, quote, type Values } from "./rules-context.js";

const DAY = 1440;
const WEEK = 7 * DAY;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const MIN_WINDOW = 30;

/** A window as minutes: start (from midnight, or from Monday 00:00 for weekly ones) and length. */
export interface Window {
  start: number;
  minutes: number;
}

const pad = (n: number) => String(n).padStart(2, "0");
const hhmm = (m: number) => `${pad(Math.floor(m / 60) % 24)}:${pad(m % 60)}`;

function clock(h: string, m: string): number | undefined {
  const hh = Number(h);
  const mm = Number(m);
  return hh <= 23 && mm <= 59 ? hh * 60 + mm : undefined;
}

/** `hh:mm-hh:mm` (UTC, may cross midnight) as a daily window, or why not. */
export function parseDailyWindow(text: string): Window | string {
  const m = /^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$/.exec(text);
  if (!m) return "is not a window of the form hh:mm-hh:mm";
  const a = clock(m[1], m[2]);
  const b = clock(m[3], m[4]);
  if (a === undefined || b === undefined)
    return "has a time that does not exist (hours 00-23, minutes 00-59)";
  return { start: a, minutes: (b - a + DAY) % DAY };
}

/** `ddd:hh:mm-ddd:hh:mm` (UTC, may cross the week's end) as a weekly window, or why not. */
export function parseWeeklyWindow(text: string): Window | string {
  const m = /^([a-z]{3}):([0-9]{2}):([0-9]{2})-([a-z]{3}):([0-9]{2}):([0-9]{2})$/.exec(text);
  if (!m) return "is not a window of the form ddd:hh:mm-ddd:hh:mm";
  const d1 = DAYS.indexOf(m[1] as (typeof DAYS)[number]);
  const d2 = DAYS.indexOf(m[4] as (typeof DAYS)[number]);
  if (d1 < 0 || d2 < 0) return "has a day that is not one of mon, tue, wed, thu, fri, sat, sun";
  const a = clock(m[2], m[3]);
  const b = clock(m[5], m[6]);
  if (a === undefined || b === undefined)
    return "has a time that does not exist (hours 00-23, minutes 00-59)";
  const start = d1 * DAY + a;
  return { start, minutes: (d2 * DAY + b - start + WEEK) % WEEK };
}

/** Pieces of a circular interval [start, start+len) on a circle of `size`, as non-wrapping [from, to). */
function pieces(start: number, len: number, size: number): Array<[number, number]> {
  const s = start % size;
  return s + len <= size
    ? [[s, s + len]]
    : [
        [s, size],
        [0, s + len - size],
      ];
}

/** Whether the daily backup window meets the weekly maintenance window on any day. */
export function windowsOverlap(backup: Window, maintenance: Window): boolean {
  const maint = pieces(maintenance.start, maintenance.minutes, WEEK);
  for (let d = 0; d < 7; d++) {
    for (const [a, b] of pieces(d * DAY + backup.start, backup.minutes, WEEK)) {
      if (maint.some(([c, e]) => a < e && c < b)) return true;
    }
  }
  return false;
}

function windowHint(text: string, weekly: boolean): string {
  const cleaned = text.replace(/\s+/g, "").toLowerCase();
  const padded = cleaned.replace(/(^|[-:])([0-9])(?=:)/g, "$10$2");
  const example = weekly ? "sun:04:30-sun:05:30" : "03:00-04:00";
  const form = weekly ? "ddd:hh:mm-ddd:hh:mm" : "hh:mm-hh:mm";
  if (
    padded !== text &&
    typeof (weekly ? parseWeeklyWindow(padded) : parseDailyWindow(padded)) !== "string"
  ) {
    return `Write it as ${padded} (${form}, UTC, two digits each).`;
  }
  return `Write ${form} in UTC, e.g. ${example}.`;
}

/** Backup retention, the backup and maintenance windows, and their overlap. */
export function checkBackups(v: Values, f: Findings): void {
  const retention = v.int("DB_BACKUP_RETENTION_DAYS");
  if (retention === 0 && v.bool("DB_READ_REPLICA_ENABLED") !== true) {
    f.warn(
      "DB_BACKUP_RETENTION_DAYS",
      "0 turns automated backups off, and with them point-in-time restore and read replicas",
      "Keep at least 1 day (7 is the default) unless this database holds nothing you need.",
    );
  }

  let backup: Window | undefined;
  const bw = v.str("DB_BACKUP_WINDOW");
  if (bw !== undefined) {
    const w = parseDailyWindow(bw);
    if (typeof w === "string") f.error("DB_BACKUP_WINDOW", `${quote(bw)} ${w}`, windowHint(bw, false));
    else if (w.minutes < MIN_WINDOW)
      f.error(
        "DB_BACKUP_WINDOW",
        `${quote(bw)} is ${w.minutes === 0 ? "empty" : `${w.minutes} minutes long`}; RDS needs at least ${MIN_WINDOW}`,
        `Widen it, e.g. ${hhmm(w.start)}-${hhmm(w.start + 60)}.`,
      );
    else backup = w;
  }

  let maint: Window | undefined;
  const mw = v.str("DB_MAINTENANCE_WINDOW");
  if (mw !== undefined) {
    const lower = mw.toLowerCase();
    const w = parseWeeklyWindow(lower);
    if (typeof w === "string") f.error("DB_MAINTENANCE_WINDOW", `${quote(mw)} ${w}`, windowHint(mw, true));
    else if (w.minutes < MIN_WINDOW)
      f.error(
        "DB_MAINTENANCE_WINDOW",
        `${quote(mw)} is ${w.minutes === 0 ? "empty" : `${w.minutes} minutes long`}; RDS needs at least ${MIN_WINDOW}`,
        "Make it at least 30 minutes long, e.g. sun:04:30-sun:05:30.",
      );
    else {
      maint = w;
      v.set("DB_MAINTENANCE_WINDOW", lower, v.defaulted.has("DB_MAINTENANCE_WINDOW"));
    }
  }

  if (backup && maint && windowsOverlap(backup, maint)) {
    f.error(
      ["DB_BACKUP_WINDOW", "DB_MAINTENANCE_WINDOW"],
      `the daily backup window ${bw} overlaps the weekly maintenance window ${mw?.toLowerCase()}`,
      "Move one of them; RDS refuses overlapping windows (the defaults 03:00-04:00 and sun:04:30-sun:05:30 do not overlap).",
    );
  }
}
