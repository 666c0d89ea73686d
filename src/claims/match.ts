/**
 * Which paths a claim covers and when two claims overlap (docs/coordination.md).
 * A claim is a path relative to its project root, `/`-separated, or a glob in
 * Bun's Glob syntax. A plain path covers itself and, as a folder, everything
 * under it; a glob covers what it matches. Used by the broker (conflicts) and
 * by the guards (an edit of a claimed file); imports nothing but Bun.
 */

/** True when `pattern` has glob syntax (`*`, `?`, `[…]`, `{…}`). */
export function isGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/** True when claim `claim` covers the file `path` (both relative to one project root). */
export function covers(claim: string, path: string): boolean {
  if (claim === path || path.startsWith(`${claim}/`)) return true;
  return isGlob(claim) && new Bun.Glob(claim).match(path);
}

/** The folder part of `pattern` before its first glob character ("src/api/" of "src/api/**\/*.ts"). */
function fixedPrefix(pattern: string): string {
  const at = pattern.search(/[*?[\]{}]/);
  const head = at < 0 ? pattern : pattern.slice(0, at);
  return head.slice(0, head.lastIndexOf("/") + 1);
}

/**
 * True when claims `a` and `b` may cover a common file. Exact for a path
 * against a path or a glob; two globs overlap when their fixed folder parts
 * nest (conservative: `src/**\/*.ts` and `src/**\/*.md` count as overlapping).
 */
export function overlaps(a: string, b: string): boolean {
  if (covers(a, b) || covers(b, a)) return true;
  if (!isGlob(a) || !isGlob(b)) return false;
  const pa = fixedPrefix(a);
  const pb = fixedPrefix(b);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

/** Path segments of many shapes: letters, digits, dot-files, extensions, spaces, non-ASCII, glob-special characters, long names. */
const PROBE_SEGMENTS = ["a", "Z", "0", "_", "-", ".x", "x.y", "a.b.c", "README", "Makefile", ".git", "node_modules", "a b", "ü", "日本", "[x]", "{x}", "x,y", "!x", "#x", "q".repeat(60)];

/** Paths of many shapes and depths (1 to 40 segments) a whole-project pattern must match. */
export const PROBE_PATHS: readonly string[] = (() => {
  const out: string[] = [];
  for (const s of PROBE_SEGMENTS) out.push(s, `d/${s}`, `${s}/${s}`, `a/b/c/${s}`, `${s}/x.ts`, [...Array(39).fill(s), "f"].join("/"));
  return out;
})();

/**
 * True when claims `patterns` together cover every path of a project, however
 * spelled (`**`, `{**,x}`, `**\/?*`, `{*,*\/**}` …): decided by what they
 * match, not their text — every one of PROBE_PATHS is covered by one of them.
 */
export function coversEverything(patterns: readonly string[]): boolean {
  const globs = patterns.filter(isGlob).map((c) => new Bun.Glob(c));
  const plain = patterns.filter((c) => !isGlob(c));
  return PROBE_PATHS.every((p) => globs.some((g) => g.match(p)) || plain.some((c) => covers(c, p)));
}
