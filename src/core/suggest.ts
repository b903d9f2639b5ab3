/**
 * Did-you-mean: the known name closest to a mistyped one. One implementation
 * for every "unknown ..." message: operations in the linter and `check`,
 * commands, options, presets and remotes in the CLI.
 */

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions): `lnit` → `lint` is 1. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = new Array<number>(n + 1).fill(0);
  let prev: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur: number[] = new Array<number>(n + 1).fill(0);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

export interface SuggestOptions {
  /**
   * A word this long or longer that starts exactly one candidate is taken as
   * an abbreviation of it (`delete-dir`), before any spelling guess. Default 1.
   */
  minPrefix?: number;
}

/**
 * The candidate closest to `word` (compared in lower case) and its distance,
 * or undefined when none is close enough: a unique prefix (distance 0), or
 * an edit distance of at most a third of the word's length (at least 1).
 * Ties go to the candidate with the same letters (a typo that swapped two),
 * then to the same first letter, then to the earlier candidate.
 */
export function closestName(
  word: string,
  candidates: readonly string[],
  options: SuggestOptions = {},
): { name: string; distance: number } | undefined {
  if (!word) return undefined;
  const w = word.toLowerCase();
  if (candidates.includes(w)) return { name: w, distance: 0 };
  if (w.length >= (options.minPrefix ?? 1)) {
    const prefixed = candidates.filter((c) => c.startsWith(w));
    if (prefixed.length === 1) return { name: prefixed[0]!, distance: 0 };
  }
  const sorted = (s: string) => [...s].sort().join('');
  let best: { name: string; distance: number } | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = editDistance(w, lc);
    // The distance dominates; the tie-breakers add at most 3.
    const score = d * 4 + (sorted(lc) === sorted(w) ? 0 : 2) + (lc[0] === w[0] ? 0 : 1);
    if (score < bestScore) {
      best = { name: c, distance: d };
      bestScore = score;
    }
  }
  const limit = Math.max(1, Math.floor(w.length / 3));
  return best !== undefined && best.distance <= limit ? best : undefined;
}

/** The name of closestName, for "unknown x; did you mean y?". */
export function didYouMean(word: string, candidates: readonly string[], options?: SuggestOptions): string | undefined {
  return closestName(word, candidates, options)?.name;
}
