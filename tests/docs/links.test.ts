/**
 * Every relative link in README.md and docs/ leads somewhere: the file exists
 * and, with a #fragment, the heading does. Pages other branches write
 * (security, identity, wake, install) may be missing until they merge.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { anchors, documents, ROOT, withoutFences } from "./_docs.ts";

const WRITTEN_ELSEWHERE = new Set(["docs/security.md", "docs/identity.md", "docs/wake.md", "docs/install.md"]);

test.each(documents())("%s: relative links resolve", (path, text) => {
  const broken: string[] = [];
  for (const m of withoutFences(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = m[1]!;
    if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
    const [file, fragment] = link.split("#") as [string, string | undefined];
    const target = file === "" ? path : relative(ROOT, join(ROOT, dirname(path), file));
    if (!existsSync(join(ROOT, target))) {
      if (!WRITTEN_ELSEWHERE.has(target)) broken.push(`${link} (no file ${target})`);
      continue;
    }
    if (fragment !== undefined && target.endsWith(".md") && !anchors(readFileSync(join(ROOT, target), "utf8")).has(fragment)) {
      broken.push(`${link} (no heading #${fragment} in ${target})`);
    }
  }
  expect(broken).toEqual([]);
});

test("README.md stays small, with the two fresh-machine commands first", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
  const first = readme.match(/```sh\n([\s\S]*?)```/)![1]!.split("\n").filter(Boolean);
  expect(first[0]).toStartWith("npm install && npm start");
  expect(first[1]).toStartWith("npm test");
});

test("no document shows a `bun …` command (machines with only Node and npm have no bun on PATH)", () => {
  const offenders: string[] = [];
  for (const [path, text] of documents()) {
    for (const m of text.matchAll(/(?:^|`|\$ |-- )(bun (?:run|test|build|install|x)\b[^`\n]*)/gm)) offenders.push(`${path}: ${m[1]}`);
  }
  expect(offenders).toEqual([]);
});
