/**
 * When the daily automated base backup is due, as RDS schedules it: once a day, during the
 * preferred backup window (DB_BACKUP_WINDOW, `hh:mm-hh:mm` UTC; RDS User Guide, "Backup window").
 * Pure: times are milliseconds since the epoch.
 */

const DAY_MS = 86_400_000;

/** The window's start and length in ms after midnight UTC; null when `window` is not `hh:mm-hh:mm`. */
export function parseWindow(window: string): { startMs: number; lengthMs: number } | null {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(window);
  if (!m) return null;
  const [h1, m1, h2, m2] = m.slice(1).map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return null;
  const start = (h1 * 60 + m1) * 60_000;
  const end = (h2 * 60 + m2) * 60_000;
  // A window may run past midnight (23:30-00:30).
  const lengthMs = (end - start + DAY_MS) % DAY_MS;
  return lengthMs > 0 ? { startMs: start, lengthMs } : null;
}

/**
 * Whether the daily backup is due at `now`, the newest automated backup being from `newestAt`
 * (null: there is none, so it is due). With a real day and a window: due inside the window when no
 * backup was taken since this window opened, and at once when a whole day and window went by
 * without one (a window missed while the machine was off, as `up` would take it then). Without a
 * window, or with a `dayMs` other than a day (tests shorten it): due once `dayMs` has passed.
 */
export function dailyBackupDue(
  newestAt: number | null,
  now: number,
  window: string | null,
  dayMs = DAY_MS,
): boolean {
  if (newestAt === null) return true;
  const w = window === null || dayMs !== DAY_MS ? null : parseWindow(window);
  if (!w) return now - newestAt >= dayMs;
  if (now - newestAt >= DAY_MS + w.lengthMs) return true;
  // The start of the window occurrence `now` is in, if it is in one.
  const sinceMidnight = ((now % DAY_MS) + DAY_MS) % DAY_MS;
  const intoWindow = (sinceMidnight - w.startMs + DAY_MS) % DAY_MS;
  if (intoWindow >= w.lengthMs) return false;
  return newestAt < now - intoWindow;
}
