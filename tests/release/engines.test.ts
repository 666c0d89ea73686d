/**
 * The Node.js range package.json promises (engines.node, published with the
 * npm package) is one its dependencies accept: npm warns EBADENGINE when a
 * dependency asks for a newer Node than the one installing it. docs/install.md
 * and README.md name the same minimum.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import lock from "../../package-lock.json" with { type: "json" };

const ROOT = join(import.meta.dir, "../..");
/** The oldest Node package.json accepts: the x.y.z of its `>=x[.y[.z]]` range. */
const minimum = (() => {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(pkg.engines.node.trim());
  if (!m) throw new Error(`engines.node should be a plain >= range, got ${pkg.engines.node}`);
  return `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}`;
})();

test("every dependency the package installs accepts the oldest Node package.json allows", () => {
  const refusing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean; engines?: unknown }>)) {
    if (path === "" || entry.dev === true) continue;
    const range = typeof entry.engines === "object" && entry.engines !== null ? (entry.engines as { node?: string }).node : undefined;
    if (range !== undefined && !Bun.semver.satisfies(minimum, range)) refusing.push(`${path.replace(/^.*node_modules\//, "")} (node ${range})`);
  }
  expect(refusing).toEqual([]);
});

test("docs/install.md and README.md name the same minimum Node.js as package.json", () => {
  const major = minimum.split(".")[0];
  expect(readFileSync(join(ROOT, "docs/install.md"), "utf8")).toContain(`Node.js ${major} or newer`);
  expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(`Node.js ${major} or newer`);
});
