/** The repository's markdown documents (README.md and docs/*.md), read once for the docs tests. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

/** Every document as [path relative to the repository, text]. */
export function documents(): Array<[string, string]> {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`);
  return ["README.md", ...docs].map((p) => [p, readFileSync(join(ROOT, p), "utf8")]);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of every heading in `text` (outside fenced blocks). */
export function anchors(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of withoutFences(text).matchAll(/^#{1,6} (.+)$/gm)) out.add(anchor(m[1]!));
  return out;
}

/** `text` with fenced code blocks blanked out. */
export function withoutFences(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

/** The fenced code blocks of `text` with their language: [lang, body]. */
export function fences(text: string): Array<[string, string]> {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => [m[1]!, m[2]!]);
}
