/** ObjectEndScanner: where an unterminated JSON object ends, fed in arbitrary pieces. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ObjectEndScanner } from "../../src/protocol/object-end.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** Feeds `text` split at `cuts` and returns the state after each piece. */
function feedInPieces(text: string, cuts: number[]): string[] {
  const scanner = new ObjectEndScanner();
  const all = bytes(text);
  const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  const states: string[] = [];
  let from = 0;
  for (const to of [...points, all.length]) {
    states.push(scanner.feed(all.subarray(from, to)));
    from = to;
  }
  return states;
}

describe("ObjectEndScanner", () => {
  test("braces, brackets and quotes inside strings do not count; escapes are followed", () => {
    const text = `{"action":"send","message":{"content":"a } ] \\" { [ \\\\"},"list":[1,{"x":"}"}]}`;
    expect(JSON.parse(text).action).toBe("send");
    const scanner = new ObjectEndScanner();
    const all = bytes(text);
    for (let i = 0; i < all.length - 1; i++) expect(scanner.feed(all.subarray(i, i + 1))).toBe("more");
    expect(scanner.feed(all.subarray(all.length - 1))).toBe("complete");
  });

  test("leading whitespace is skipped; anything else first is not an object; reset starts over", () => {
    const scanner = new ObjectEndScanner();
    expect(scanner.feed(bytes(" \r\n\t{}"))).toBe("complete");
    scanner.reset();
    expect(scanner.feed(bytes("[1]"))).toBe("not-object");
    scanner.reset();
    expect(scanner.feed(bytes('{"a":'))).toBe("more");
  });

  test("any JSON object, cut anywhere, is complete exactly at its last byte", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.nat()), (obj, cuts) => {
        const states = feedInPieces(JSON.stringify(obj), cuts);
        expect(states.at(-1)).toBe("complete");
        expect(states.slice(0, -1).every((s) => s === "more" || s === "complete")).toBe(true);
        const whole = new ObjectEndScanner();
        const text = bytes(JSON.stringify(obj));
        expect(whole.feed(text.subarray(0, text.length - 1))).toBe("more");
      }),
      { numRuns: 300 },
    );
  });
});
