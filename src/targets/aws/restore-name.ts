/** RDS instance identifiers: at most 63 characters (RDS User Guide, "DB instance identifier" constraints). */
const MAX_ID = 63;

/**
 * The default name of a restored instance: `<identifier>-restored-<YYYYMMDDhhmmss>` (UTC), with `-n` for
 * the n-th try when that name is taken (n >= 2). Seconds, and a suffix, so that restores started within
 * the same minute, or second, get different names. The identifier part is shortened (no trailing
 * hyphen) when the whole would exceed RDS's 63 characters: restored instances are found by their
 * `ebdb:restored-from` tag, not by name.
 */
export function defaultRestoreName(identifier: string, now: Date, n = 1): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const tail = `-restored-${stamp}${n > 1 ? `-${n}` : ""}`;
  const head = identifier.slice(0, MAX_ID - tail.length).replace(/-+$/, "");
  return `${head}${tail}`;
}
