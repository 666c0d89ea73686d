/**
 * docs/design.md is the design the code cites: every `docs/design.md#…` link
 * in src/ names a heading that exists, nothing in src/ points at a design
 * file outside the repository, and the source tree (§10) names every file
 * under src/, and no file that is gone.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { anchors, fences, ROOT } from "./_docs.ts";

const DESIGN = readFileSync(join(ROOT, "docs/design.md"), "utf8");

/** Every file under `dir`, relative to the repository. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** The files §10's tree names: folder lines (`src/x/`) at column 0, their files indented under them. */
export function treeFiles(design: string): string[] {
  const start = design.indexOf("\n## 10. Source tree\n");
  const block = fences(design.slice(start)).find(([lang]) => lang === "")?.[1] ?? "";
  const named: string[] = [];
  let folder = "";
  for (const line of block.split("\n")) {
    if (line.trim() === "") continue;
    const word = line.trim().split(/\s+/)[0]!;
    if (!line.startsWith(" ")) {
      if (word.endsWith("/")) folder = word;
      else named.push(word);
    } else named.push(folder + word);
  }
  return named.sort();
}

test("every docs/design.md#section cited in src/ exists", () => {
  const sections = anchors(DESIGN);
  const missing: string[] = [];
  for (const file of filesUnder("src")) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(/docs\/design\.md#([\w-]+)/g)) if (!sections.has(m[1]!)) missing.push(`${file}: #${m[1]}`);
  }
  expect(missing).toEqual([]);
});

test("nothing in src/ cites a design document outside the repository", () => {
  const outside = filesUnder("src").filter((f) => /DESIGN\.md|\/work\/shared/.test(readFileSync(join(ROOT, f), "utf8")));
  expect(outside).toEqual([]);
});

test("the source tree in docs/design.md §10 names every file under src/, and only those", () => {
  const actual = filesUnder("src");
  const named = treeFiles(DESIGN);
  const missing = actual.filter((f) => !named.includes(f));
  const gone = named.filter((f) => !actual.includes(f));
  const duplicated = named.filter((f, i) => named.indexOf(f) !== i);
  if (missing.length + gone.length + duplicated.length > 0) {
    const lines = [
      ...(missing.length > 0 ? ["add a line to docs/design.md §10 for each of:", ...missing.map((f) => `  + ${f}`)] : []),
      ...(gone.length > 0 ? ["remove from docs/design.md §10 (no such file):", ...gone.map((f) => `  - ${f}`)] : []),
      ...(duplicated.length > 0 ? ["named twice in docs/design.md §10:", ...duplicated.map((f) => `  = ${f}`)] : []),
    ];
    throw new Error(lines.join("\n"));
  }
  expect(named.length).toBe(actual.length);
});
