/**
 * The configuration tables of docs/cli.md, made from LIMIT_SETTINGS and
 * RETENTION_SETTINGS (src/config.ts) so the docs cannot drift from the code.
 * `npx bun scripts/docs-tables.ts` rewrites them in place;
 * tests/docs/config-tables.test.ts fails when they are out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { LIMIT_SETTINGS, RETENTION_SETTINGS } from "../src/config.ts";

export const CLI_DOC = resolve(import.meta.dir, "../docs/cli.md");

/** 4194304 bytes → "4 MiB"; 10000 → "10 000"; 6000 requests/min → "6 000 / min". */
export function formatDefault(value: number, unit: string): string {
  const group = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  if (unit === "bytes") {
    for (const [size, name] of [[1024 * 1024, "MiB"], [1024, "KiB"]] as const) {
      if (value >= size && value % size === 0) return `${group(value / size)} ${name}`;
    }
    return `${group(value)} bytes`;
  }
  if (unit === "seconds") return `${group(value)} s`;
  if (unit === "requests/min") return `${group(value)} / min`;
  if (unit === "days" || unit === "hours") return `${group(value)} ${unit}`;
  return group(value);
}

/** Error codes and names in a description, written as code. */
function codeWords(text: string): string {
  return text.replace(/\b([A-Z]+_[A-Z_]+)\b/g, "`$1`");
}

/** The markdown table of the broker limits. */
export function limitsTable(): string {
  const rows = LIMIT_SETTINGS.map((s) => `| \`${s.env}\` | \`--${s.flag}\` | ${formatDefault(s.default, s.unit)} | ${codeWords(s.description)} |`);
  return ["| env | `ipc serve` flag | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The markdown table of the retention periods. */
export function retentionTable(): string {
  const rows = RETENTION_SETTINGS.map((s) => `| \`${s.env}\` | ${formatDefault(s.default, s.unit)} | ${s.description} |`);
  return ["| env | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** `text` with the block between `<!-- NAME:start -->` and `<!-- NAME:end -->` replaced by `body`. @throws Error when the markers are missing. */
export function replaceBlock(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->\n`;
  const end = `\n<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end, i);
  if (i === -1 || j === -1) throw new Error(`docs/cli.md has no ${name} block (<!-- ${name}:start --> … <!-- ${name}:end -->)`);
  return text.slice(0, i + start.length) + body + text.slice(j);
}

/** docs/cli.md with its generated tables brought up to date. */
export function renderCliDoc(text: string): string {
  return replaceBlock(replaceBlock(text, "LIMIT_SETTINGS", limitsTable()), "RETENTION_SETTINGS", retentionTable());
}

if (import.meta.main) {
  const before = readFileSync(CLI_DOC, "utf8");
  const after = renderCliDoc(before);
  if (after !== before) writeFileSync(CLI_DOC, after);
  console.error(after === before ? "docs/cli.md is up to date" : "docs/cli.md: tables rewritten");
}
