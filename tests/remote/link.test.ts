/** The pairing line (src/remote/link.ts): printed quoted, parsed back whole; a code cut off at `&` is named. */
import { expect, test } from "bun:test";
import { formatLink, joinLine, parseLink, shellQuote } from "../../src/remote/link.ts";

const link = { host: "192.168.1.20", port: 9443, fingerprint: `SHA256:${"k".repeat(43)}`, code: "Vb1x".repeat(8) };

test("the printed line is `ipc join '<link>'`, and the link in it parses back to what was formatted", () => {
  const text = formatLink(link);
  expect(joinLine(text)).toBe(`ipc join '${text}'`);
  expect(parseLink(text)).toEqual(link);
  expect(parseLink(`ipc+tls://[fd00::1]:9443#fp=${link.fingerprint}&code=${link.code}`).host).toBe("fd00::1");
});

test("quotes that arrive as part of the argument are dropped", () => {
  const text = formatLink(link);
  expect(parseLink(`'${text}'`)).toEqual(link);
  expect(parseLink(`"${text}"`)).toEqual(link);
});

test("a link whose &code=… a shell cut off says so; a malformed code is still its own error", () => {
  const cut = formatLink(link).split("&")[0]!;
  expect(() => parseLink(cut)).toThrow(/cut off by the shell.*quote/s);
  expect(() => parseLink(`${cut}&code=short`)).toThrow("code is missing or malformed");
});

test("shellQuote keeps a ' inside one word", () => {
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
});
