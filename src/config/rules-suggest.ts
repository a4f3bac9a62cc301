// Three rows of the table, reused from call to call: this runs for every (unknown key, known key) pair.
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Edit distance with adjacent transpositions (optimal string alignment Damerau-Levenshtein):
 * `DB_BACKUP_RETENTION_DAY` is 1 away from `DB_BACKUP_RETENTION_DAYS`, `DB_ENGNIE` 1 from `DB_ENGINE`.
 * With `max`, stops as soon as the distance must exceed it and returns `max + 1`: the caller only
 * wants near words, and a file of 100,000 unknown keys must not cost 100,000 full tables per key.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const n = a.length;
  const m = b.length;
  // Each length difference costs at least one insertion or deletion.
  if (Math.abs(n - m) > max) return max + 1;
  if (n === 0) return m;
  if (m === 0) return n;
  // Cells further than `max` from the diagonal exceed max: only the band |i - j| <= max is
  // computed (Ukkonen), and the cells just outside it read as "too far".
  const band = Math.min(max, Math.max(n, m));
  const far = band + 1;
  if (rows[0].length < m + 1) rows = [0, 1, 2].map(() => new Int32Array(2 * m + 2));
  let [prev2, prev, cur] = rows;
  prev2.fill(far, 0, m + 1);
  cur.fill(far, 0, m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j <= band ? j : far;
  let prevMin = 0;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - band);
    const hi = Math.min(m, i + band);
    cur[lo - 1] = lo === 1 && i <= band ? i : far;
    if (hi < m) cur[hi + 1] = far;
    let rowMin = far;
    for (let j = lo; j <= hi; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      if (d > far) d = far;
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    // A later row is never below min(this row, the one before + 1): once both are past, stop.
    if (rowMin > band && prevMin + 1 > band) return max + 1;
    prevMin = rowMin;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] > max ? max + 1 : prev[m];
}

/** Candidates grouped by length, each with its place in the given order. */
type LengthIndex = Map<number, { word: string; at: number }[]>;
const indexes = new WeakMap<object, LengthIndex>();

function lengthIndex(candidates: Iterable<string>): LengthIndex {
  const cached = indexes.get(candidates as object);
  if (cached) return cached;
  const index: LengthIndex = new Map();
  let at = 0;
  for (const word of candidates) {
    const list = index.get(word.length);
    if (list) list.push({ word, at: at++ });
    else index.set(word.length, [{ word, at: at++ }]);
  }
  // Only a frozen array (such as KEY_NAMES) is safe to remember: anything else may change.
  if (Array.isArray(candidates) && Object.isFrozen(candidates)) indexes.set(candidates, index);
  return index;
}

/**
 * The candidate nearest to `input`, when near enough to be a slip of the keyboard: at most 2 edits,
 * and fewer than a third of the input's length (so short words do not match everything). The first
 * of equally near candidates (in the order given) wins. Only candidates whose length is within the
 * limit are measured, each within a band of the limit, so 100,000 unknown keys cost well under a
 * second rather than the 10 s that full tables against every key took.
 */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(2, Math.max(1, Math.floor(input.length / 3)));
  const index = lengthIndex(candidates);
  let best: { word: string; at: number } | undefined;
  let bestD = limit + 1;
  for (let len = input.length - limit; len <= input.length + limit; len++) {
    for (const c of index.get(len) ?? []) {
      const d = editDistance(input, c.word, Math.min(bestD, limit));
      if (d > limit) continue;
      if (d < bestD || (d === bestD && best !== undefined && c.at < best.at)) {
        best = c;
        bestD = d;
      }
    }
  }
  return best?.word;
}
