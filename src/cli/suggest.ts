/** "Did you mean …?" for a mistyped command, option or name. */

/** Levenshtein distance between `a` and `b` (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate `word` most likely meant (case-insensitive): one it begins
 * (at least 3 characters, `brod` → `broadcast`), else the closest within 2
 * edits and fewer than half the word's length. Undefined when none is close.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const letters = w.replace(/^-+/, "").length;
  const list = [...candidates];
  if (letters >= 3) {
    const prefixed = list.find((c) => c.toLowerCase().startsWith(w) && c.toLowerCase() !== w);
    if (prefixed !== undefined) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = editDistance(w, c.toLowerCase());
    if (d > 0 && d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= 2 && bestDistance * 2 < letters ? best : undefined;
}

/** "; did you mean X?" when a candidate is close, else "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? "" : `; did you mean ${c}?`;
}
