/** docs/cli.md's configuration tables are the ones made from LIMIT_SETTINGS / RETENTION_SETTINGS (src/config.ts). */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { CLI_DOC, formatDefault, limitsTable, renderCliDoc } from "../../scripts/docs-tables.ts";
import { LIMIT_SETTINGS } from "../../src/config.ts";

test("docs/cli.md: the limits and retention tables match src/config.ts (regenerate: npx bun scripts/docs-tables.ts)", () => {
  const text = readFileSync(CLI_DOC, "utf8");
  expect(renderCliDoc(text)).toBe(text);
});

test("the limits table has one row per setting, with its env, flag and default", () => {
  const rows = limitsTable().split("\n").slice(2);
  expect(rows).toHaveLength(LIMIT_SETTINGS.length);
  for (const [i, s] of LIMIT_SETTINGS.entries()) {
    expect(rows[i]).toStartWith(`| \`${s.env}\` | \`--${s.flag}\` | ${formatDefault(s.default, s.unit)} |`);
  }
});

test("defaults read as people write them", () => {
  expect(formatDefault(4 * 1024 * 1024, "bytes")).toBe("4 MiB");
  expect(formatDefault(10 * 1024, "bytes")).toBe("10 KiB");
  expect(formatDefault(1000, "bytes")).toBe("1 000 bytes");
  expect(formatDefault(10_000, "messages")).toBe("10 000");
  expect(formatDefault(6000, "requests/min")).toBe("6 000 / min");
  expect(formatDefault(30, "seconds")).toBe("30 s");
  expect(formatDefault(7, "days")).toBe("7 days");
});
