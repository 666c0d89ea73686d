/**
 * The README's picture of two terminals is made from a real run by
 * scripts/terminal-picture.ts: the committed SVG shows the walkthrough's
 * conversation, and the script, run again, captures the same conversation.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { captureWalkthrough, PICTURE, renderSvg } from "../../scripts/terminal-picture.ts";
import { compiledBinary } from "../helpers/binary.ts";

const hasTmux = Bun.which("tmux") !== null;

/** The text lines of an SVG made by renderSvg, unescaped. */
function svgLines(svg: string): string[] {
  return [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&"));
}

test("the committed picture shows both terminals and the conversation", () => {
  const lines = svgLines(readFileSync(PICTURE, "utf8"));
  expect(lines).toContain("Terminal 1 — Fred");
  expect(lines).toContain("Terminal 2 — Barney");
  expect(lines).toContain('$ ipc send fred "Hi Fred, lunch at noon?"');
  expect(lines).toContain("  Hi Fred, lunch at noon?");
  expect(lines).toContain("  Sure, see you at noon");
});

test("renderSvg escapes what a terminal shows", () => {
  const svg = renderSvg([{ title: "a<b", lines: ['x & "y" <z>'] }], 20);
  expect(svg).not.toContain("<z>");
  expect(svgLines(svg)).toEqual(["a<b", 'x & "y" <z>']);
});

test.skipIf(!hasTmux)("scripts/terminal-picture.ts captures the conversation from a real run in tmux", async () => {
  await compiledBinary();
  const [fred, barney] = await captureWalkthrough();
  expect(fred!.lines).toContain("  Hi Fred, lunch at noon?");
  expect(barney!.lines).toContain("  Sure, see you at noon");
}, 60_000);
