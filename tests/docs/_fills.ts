/**
 * The placeholders of a docs page and how shown output is matched
 * (tests/docs/run-blocks.test.ts): a fill replaces what the page shows
 * (`192.168.1.20:9443`) with what stands for it here, in commands and in
 * expected output; `…` in shown output matches what varies.
 */

/** What the fills, fixtures and checks of a page can use. */
export interface PageContext {
  /** The page's temporary folder (HOMEs, projects, stand-in /tmp). */
  root: string;
  /** A free port for `key` (the same one each time on this page). */
  port(key: string): number;
  /** The last match of `pattern` in what the page's commands printed so far. @throws when none. */
  captured(pattern: RegExp): string;
}

/**
 * A placeholder of a page and what stands for it: `shown` (as written in the
 * page) becomes `value` in commands; in shown output it matches `value`, or
 * `output` (a regular expression) when given.
 */
export interface Fill {
  page: string;
  shown: string;
  value: (ctx: PageContext) => string;
  output?: string;
  why: string;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `text` with each fill's `shown` replaced by `replace(fill)`, longest first, never inside a replacement. */
export function substitute(text: string, fills: Fill[], replace: (fill: Fill) => string, rest: (s: string) => string = (s) => s): string {
  const sorted = [...fills].sort((a, b) => b.shown.length - a.shown.length);
  const walk = (s: string, i: number): string => {
    if (i === sorted.length) return rest(s);
    const fill = sorted[i]!;
    const parts = s.split(fill.shown);
    if (parts.length === 1) return walk(s, i + 1);
    const value = replace(fill);
    return parts.map((part) => walk(part, i + 1)).join(value);
  };
  return walk(text, 0);
}

/**
 * A regular expression for one line of shown output: fills match their value
 * (or pattern), `…` inside a word matches any word characters, a lone `…`
 * anything; the rest literally, surrounding spaces ignored.
 */
export function shownLinePattern(line: string, fills: Fill[], ctx: PageContext): RegExp {
  const literal = (s: string) =>
    s
      .split(/([\w-]*…[\w-]*)/)
      .map((part, i) => (i % 2 === 0 ? escape(part) : part === "…" ? ".*?" : "[\\w+/=-]*"))
      .join("");
  const source = substitute(line.trim(), fills, (f) => f.output ?? escape(f.value(ctx)), literal);
  return new RegExp(`^${source}$`);
}

/** Whether the shown lines appear, in order, among the printed lines; else the first that does not. */
export function findShown(shown: string[], printed: string, fills: Fill[], ctx: PageContext): string | undefined {
  const lines = printed.split("\n").map((l) => l.trim());
  let at = 0;
  for (const want of shown) {
    if (want.trim() === "") continue;
    const pattern = shownLinePattern(want, fills, ctx);
    while (at < lines.length && !pattern.test(lines[at]!)) at++;
    if (at === lines.length) return want;
    at++;
  }
  return undefined;
}

