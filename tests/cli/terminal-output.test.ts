/** Control characters on their way to a terminal (issue 10 hole 10a): escaped, except the CLI's own colours. */
import { describe, expect, test } from "bun:test";
import { forTerminal, palette } from "../../src/cli/output.ts";
import { escapeControl } from "../../src/protocol/control-chars.ts";

describe("escapeControl", () => {
  test("C0 (but \\n and \\t), DEL and C1 become visible \\uXXXX; other text is untouched", () => {
    expect(escapeControl("title\x1b]2;pwned\x07 clear\x1b[2J bell\x07 del\x7f csi\x9b2J nel\x85")).toBe(
      "title\\u001b]2;pwned\\u0007 clear\\u001b[2J bell\\u0007 del\\u007f csi\\u009b2J nel\\u0085",
    );
    expect(escapeControl("a\tb\nc ünïcödé ✓ 😀")).toBe("a\tb\nc ünïcödé ✓ 😀");
    expect(escapeControl("\x00\x08\x0b\x0c\x0e\x1f")).toBe("\\u0000\\u0008\\u000b\\u000c\\u000e\\u001f");
  });

  test("for a terminal CRLF becomes \\n and a lone \\r is escaped; keepCR keeps \\r", () => {
    expect(escapeControl("one\r\ntwo\rthree")).toBe("one\ntwo\\u000dthree");
    expect(escapeControl("one\r\ntwo\r\x1b", { keepCR: true })).toBe("one\r\ntwo\r\\u001b");
  });

  test("escaped JSON text is still valid JSON with the same value", () => {
    const value = { content: "x\x9b\x85y" };
    expect(JSON.parse(escapeControl(JSON.stringify(value)))).toEqual(value);
  });
});

describe("forTerminal", () => {
  test("the palette's colours become SGR sequences; content's escape sequences do not", () => {
    const p = palette(true);
    const line = `${p.bold("fred")}: ${"\x1b]2;pwned\x07\x1b[31mred"}`;
    expect(forTerminal(line, true)).toBe("\x1b[1mfred\x1b[22m: \\u001b]2;pwned\\u0007\\u001b[31mred");
  });

  test("text cannot forge the palette's marks", () => {
    const forged = "\u{f8f0}00000000:31\u{f8f1}";
    expect(forTerminal(forged, true)).toBe(forged);
    expect(forTerminal(forged, true)).not.toContain("\x1b");
  });

  test("not a terminal (a pipe or a file): text passes as it is", () => {
    expect(forTerminal("a\x1b]2;x\x07b", false)).toBe("a\x1b]2;x\x07b");
    expect(forTerminal(palette(false).bold("x"), true)).toBe("x");
  });
});
