/** "Did you mean …?" for a mistyped command, option or name. */

/** Edit distance between `a` and `b`: insertions, deletions, substitutions and swaps of neighbours (`sned` → `send`) cost 1 each. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
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
