/**
 * The broker's rooms (docs/design.md §10): ops are handlers the dispatcher
 * calls, so no op imports the dispatcher (src/broker/dispatch.ts); what they
 * share with it lives in its own module (src/broker/edge/error-reply.ts).
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const OPS_DIR = join(import.meta.dir, "../../src/broker/ops");

test("no file in src/broker/ops/ imports the dispatcher", () => {
  const files = readdirSync(OPS_DIR).filter((f) => f.endsWith(".ts"));
  expect(files.length).toBeGreaterThan(5);
  const offenders = files.filter((f) => /from\s+["']\.\.\/dispatch\.ts["']|import\(\s*["']\.\.\/dispatch\.ts["']/.test(readFileSync(join(OPS_DIR, f), "utf8")));
  expect(offenders).toEqual([]);
});
