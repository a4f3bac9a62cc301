/**
 * Edit distance with adjacent transpositions (optimal string alignment Damerau-Levenshtein):
 * `DB_BACKUP_RETENTION_DAY` is 1 away from `DB_BACKUP_RETENTION_DAYS`, `DB_ENGNIE` 1 from `DB_ENGINE`.
 */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/**
 * The candidate nearest to `input`, when near enough to be a slip of the keyboard: at most 2 edits,
 * and fewer than a third of the input's length (so short words do not match everything).
 */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  const limit = Math.min(2, Math.max(1, Math.floor(input.length / 3)));
  for (const c of candidates) {
    const d = editDistance(input, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}
