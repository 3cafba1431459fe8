/** "Did you mean": the declared name closest to a misspelt one (config keys, settings, command-line options). */

/** Edit distance (insertions, deletions, substitutions, and a swap of two neighbours), for "did you mean". */
export function editDistance(a: string, b: string): number {
  // Optimal string alignment: the Levenshtein table with a transposition step, so "sotrage" is one edit from "storage".
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The declared name closest to `key` (case ignored), when it is close enough to be a misspelling: at most one edit in
 * three characters of the shorter of the two names (at least one edit), so a short key is not "corrected" into an
 * unrelated short name (`db` is not `hub`, `sku` is not `sql`).
 */
export function closest(key: string, declared: readonly string[]): string | undefined {
  const scored = declared
    .map((d) => ({ d, score: editDistance(key.toLowerCase(), d.toLowerCase()) }))
    .filter(({ d, score }) => score <= Math.max(1, Math.floor(Math.min(key.length, d.length) / 3)))
    .filter(({ d, score }) => score < Math.min(key.length, d.length))
    .sort((x, y) => x.score - y.score);
  return scored[0]?.d;
}
