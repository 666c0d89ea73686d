/**
 * HTML text for the server's first screen: a row tree (src/ui/page/rows.ts)
 * as markup, every string escaped (HTML Living Standard §13.1: text and
 * double-quoted attribute values), so an agent's name or message shows as
 * the very text the page's own text nodes would show, never as markup.
 * Two characters the HTML parser cannot carry as they are: a carriage return
 * is written as `&#13;` (kept, not turned into a line feed), a NUL as U+FFFD
 * (what the parser makes of any NUL).
 */
import type { V } from "./page/rows.ts";

const REFS: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\r": "&#13;", "\0": "\uFFFD" };

/** `s` as HTML text or a double-quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'\r\0]/g, (c) => REFS[c]!);
}

/** Tag and attribute names come from our code, never from data: checked anyway. */
const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * The markup of `v`.
 * @throws Error on a tag or attribute name that is not a plain lowercase name (a defect in rows.ts).
 */
export function toHtml(v: V): string {
  if (!NAME.test(v.tag)) throw new Error(`not a tag name: ${JSON.stringify(v.tag)}`);
  let out = `<${v.tag}`;
  for (const [k, x] of Object.entries(v.attrs)) {
    if (!NAME.test(k)) throw new Error(`not an attribute name: ${JSON.stringify(k)}`);
    out += ` ${k}="${escapeHtml(x)}"`;
  }
  out += ">";
  for (const c of v.children) out += typeof c === "string" ? escapeHtml(c) : toHtml(c);
  return `${out}</${v.tag}>`;
}

/** JSON for a `<script type="application/json">` block: no `<` in it, so no `</script>` or `<!--` can end or bend the block. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
