/**
 * The npm packages of a release, written into `<out>/npm/<name>/`, ready for
 * `npm publish` (or `npm pack`), the way esbuild and Bun ship:
 *
 * - `agent-ipc-<target>` per built target: the compiled binary in `bin/`, with
 *   npm's `os`/`cpu`/`libc` fields so npm installs only the one that runs here.
 * - `agent-ipc`: the launcher `bin/ipc.js` and the TypeScript sources, with
 *   every platform package as an optional dependency of the same version. The
 *   launcher runs the platform binary when one is installed, else src/main.ts
 *   with Bun from the `bun` dependency.
 *
 * The main package.json gets the release version and `ipcBuild.commit`, which
 * src/version.ts reads when it runs from source, so a packed package never
 * says `-dev`. `repository` comes from GITHUB_REPOSITORY (set in GitHub
 * Actions; npm's provenance check wants it to match the building repository).
 */
import { chmodSync, cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { type Target, TARGETS } from "./targets.ts";

const ROOT = join(import.meta.dir, "..");

/** The name of the npm package carrying the binary for `t`. */
export function platformPackageName(t: Target): string {
  return `${pkg.name}-${t.name}`;
}

function repository(): { repository?: { type: string; url: string } } {
  const repo = process.env.GITHUB_REPOSITORY;
  return repo ? { repository: { type: "git", url: `git+https://github.com/${repo}.git` } } : {};
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Bun.write(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes the main package and one package per entry of `binaries` (target →
 * path of its compiled executable) into `dir` (emptied first).
 * Returns the package names written.
 */
export async function writeNpmPackages(
  dir: string,
  stamp: { version: string; commit: string },
  binaries: Map<Target, string>,
): Promise<string[]> {
  rmSync(dir, { recursive: true, force: true });
  const names: string[] = [];
  for (const [t, exe] of binaries) {
    const name = platformPackageName(t);
    const root = join(dir, name);
    mkdirSync(join(root, "bin"), { recursive: true });
    const bin = join(root, "bin", t.exe);
    await Bun.write(bin, Bun.file(exe));
    chmodSync(bin, 0o755);
    await writeJson(join(root, "package.json"), {
      name,
      version: stamp.version,
      description: `The ipc binary for ${t.name}, installed by ${pkg.name} where it runs`,
      license: pkg.license,
      ...repository(),
      os: [t.os],
      cpu: [t.cpu],
      ...(t.libc && { libc: [t.libc] }),
      files: ["bin/"],
      preferUnplugged: true,
    });
    await Bun.write(join(root, "README.md"), `# ${name}\n\nThe \`ipc\` binary for ${t.name}. Install \`${pkg.name}\` instead: it picks this package where it runs.\n`);
    names.push(name);
  }

  const main = join(dir, pkg.name);
  mkdirSync(main, { recursive: true });
  for (const part of ["bin", "src", "README.md"]) cpSync(join(ROOT, part), join(main, part), { recursive: true });
  const { scripts: _scripts, devDependencies: _dev, private: _private, ...published } = pkg as typeof pkg & { private?: boolean };
  await writeJson(join(main, "package.json"), {
    ...published,
    version: stamp.version,
    ...repository(),
    optionalDependencies: Object.fromEntries(TARGETS.map((t) => [platformPackageName(t), stamp.version])),
    ipcBuild: { commit: stamp.commit },
  });
  names.push(pkg.name);
  return names;
}
