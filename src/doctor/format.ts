/** Small formatting helpers for the checks' summaries (pure). */

/** Bytes as a person reads them: 512 B, 3.2 MiB, 1.5 GiB. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "unknown";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${n < 0 ? "-" : ""}${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Seconds as a person reads them: 4.2 s, 3 min 5 s, 2 h 10 min, 3 d 4 h. */
export function duration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const two = (a: number, ua: string, b: number, ub: string) =>
    b > 0 ? `${a} ${ua} ${b} ${ub}` : `${a} ${ua}`;
  if (s < 3600) return two(Math.floor(s / 60), "min", Math.floor(s % 60), "s");
  if (s < 86400) return two(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "min");
  return two(Math.floor(s / 86400), "d", Math.floor((s % 86400) / 3600), "h");
}

/** A share as a percentage with at most one decimal. */
export function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/**
 * Text from the server (query text, names) made safe to print: control characters (a terminal's
 * escape sequences among them) become spaces, runs of space one, and long text is cut.
 */
export function clean(text: string | null | undefined, max = 120): string {
  const t = (text ?? "")
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** "a, b and 3 more" */
export function listOf(items: string[], max = 3): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** Days between two ISO times (b - a). */
export function daysBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 86_400_000;
}

/**
 * A whole number with thousands separators: 2,147,483,647. Not toLocaleString, whose first call
 * loads the locale data (tens of milliseconds of a command meant to take well under a second).
 */
export function thousands(n: number): string {
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
