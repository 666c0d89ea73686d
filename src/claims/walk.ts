/**
 * A bounded glob expansion for the guards: the files under a folder that a
 * glob matches, looking at no more than a set number of entries and folders
 * deep (Bun.Glob's own scan yields only matches, so it cannot be bounded by
 * the work it does). Symbolic links are not followed.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Most directory entries looked at by one expansion. */
export const MAX_WALK_ENTRIES = 20_000;
/** Deepest folder level walked. */
const MAX_WALK_DEPTH = 32;

/**
 * Paths (relative to `base`, `/`-separated) of entries under `base` that
 * `pattern` (Bun's Glob syntax, relative to `base`) matches; walks from the
 * pattern's fixed folder part, at most `maxEntries` entries. Never throws.
 */
export function boundedGlob(base: string, pattern: string, maxEntries = MAX_WALK_ENTRIES): string[] {
  const glob = new Bun.Glob(pattern);
  const at = pattern.search(/[*?[\]{}]/);
  const fixed = at < 0 ? pattern : pattern.slice(0, pattern.lastIndexOf("/", at) + 1);
  const start = fixed.replace(/\/+$/, "");
  const out: string[] = [];
  const stack: Array<[string, number]> = [[start, 0]];
  let seen = 0;
  while (stack.length > 0 && seen < maxEntries) {
    const [rel, depth] = stack.pop()!;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(rel === "" ? base : join(base, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const d of entries) {
      if (++seen > maxEntries) break;
      const path = rel === "" ? d.name : `${rel}/${d.name}`;
      if (glob.match(path)) out.push(path);
      if (d.isDirectory() && depth < MAX_WALK_DEPTH) stack.push([path, depth + 1]);
    }
  }
  return out;
}
