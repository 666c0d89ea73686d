/**
 * Release build.
 *
 * - `npm run build` compiles `dist/ipc` (or `dist/ipc.exe`) for this machine.
 * - `npm run build -- --all` compiles every release target into
 *   `dist/ipc-<version>-<target>/`, archives each (.tar.gz, or .zip for
 *   Windows), writes `dist/SHA256SUMS`, and writes the npm packages into
 *   `dist/npm/` (build/npm-packages.ts).
 * - `--target <name>` (repeatable) does the same for some targets only;
 *   `--out <dir>` writes somewhere other than `dist/`.
 *
 * The version is `IPC_VERSION` (the release workflow passes the tag without
 * its `v`), else package.json's; the commit is `IPC_COMMIT`, else
 * `git rev-parse --short HEAD`. Both are injected with `define` (src/version.ts).
 *
 * Cross-compiling needs the Bun runtime of each target. Bun would download it
 * itself; instead we fetch the matching `@oven/bun-<target>` package from the
 * npm registry with `npm pack` (so npm's registry settings apply) and hand its
 * binary to Bun as `executablePath`. The host's own target needs nothing: the
 * running Bun is its runtime.
 */
import { $ } from "bun";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "./package.json" with { type: "json" };
import { writeNpmPackages } from "./build/npm-packages.ts";
import { type Target, TARGETS, hostTarget } from "./build/targets.ts";

const ROOT = import.meta.dir;

/** What one build stamps into the binary. */
export interface Stamp {
  version: string;
  commit: string;
}

/** The version (IPC_VERSION or package.json's, checked to be semver) and commit of this build. */
async function stamp(): Promise<Stamp> {
  const version = process.env.IPC_VERSION || pkg.version;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`IPC_VERSION=${version} is not a version like 1.2.3 or 1.2.3-rc.1 (tags are v1.2.3)`);
  }
  let commit = process.env.IPC_COMMIT ?? "";
  if (commit === "") {
    const git = await $`git rev-parse --short HEAD`.cwd(ROOT).quiet().nothrow();
    commit = git.exitCode === 0 ? git.stdout.toString().trim() : "unknown";
  }
  return { version, commit };
}

/** Compiles src/main.ts into a standalone executable at `outfile`. */
async function compile(outfile: string, s: Stamp, target?: Target, executablePath?: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/main.ts")],
    minify: true,
    sourcemap: "none",
    bytecode: true,
    // Each command in its own chunk: `ipc send` does not load the MCP SDK, setup or doctor code.
    splitting: true,
    format: "esm",
    define: { IPC_BUILD_VERSION: JSON.stringify(s.version), IPC_BUILD_COMMIT: JSON.stringify(s.commit) },
    compile: {
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      ...(target && { target: target.bun }),
      ...(executablePath && { executablePath }),
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build failed for ${target?.name ?? "this machine"}`);
  }
}

/** The Bun runtime binary for `t`, from the npm registry via `npm pack` (cached in `<out>/.runtimes`). */
async function runtimeFor(t: Target, out: string): Promise<string> {
  const dir = join(out, ".runtimes", `${t.name}-${Bun.version}`);
  const bin = join(dir, "package", "bin", t.exe === "ipc.exe" ? "bun.exe" : "bun");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  await $`npm pack --silent ${t.npm}@${Bun.version}`.cwd(dir).quiet();
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error(`npm pack ${t.npm}@${Bun.version} produced no archive`);
  await $`tar -xzf ${tgz}`.cwd(dir).quiet();
  if (!existsSync(bin)) throw new Error(`${t.npm}@${Bun.version} has no ${bin}`);
  return bin;
}

/** SHA-256 of a file, hex. */
async function sha256(path: string): Promise<string> {
  return new Bun.CryptoHasher("sha256").update(await Bun.file(path).arrayBuffer()).digest("hex");
}

/**
 * Zips `out`/`dir` into `out`/`archive` with Info-ZIP's `zip`, or, where that
 * is not installed, with Python's standard-library zipfile module.
 */
async function zipDir(out: string, archive: string, dir: string): Promise<void> {
  if (Bun.which("zip")) await $`zip -qr ${archive} ${dir}`.cwd(out);
  else if (Bun.which("python3")) await $`python3 -m zipfile -c ${archive} ${dir}`.cwd(out);
  else throw new Error(`cannot make ${archive}: install zip (apt-get install zip) or python3`);
}

/**
 * Writes `out`/install.sh: install.sh with DEFAULT_BASE set to this release's
 * download URL on GitHub (from GITHUB_REPOSITORY, which GitHub Actions sets),
 * so `curl -fsSL …/releases/latest/download/install.sh | sh` installs the
 * release the script came with. Without GITHUB_REPOSITORY it stays unstamped
 * (and then needs IPC_INSTALL_BASE).
 */
async function writeInstaller(out: string, s: Stamp): Promise<void> {
  const repo = process.env.GITHUB_REPOSITORY ?? "";
  if (repo !== "" && !/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`GITHUB_REPOSITORY=${repo} is not owner/name`);
  const script = await Bun.file(join(ROOT, "install.sh")).text();
  const line = 'DEFAULT_BASE=""';
  if (!script.includes(`\n${line}\n`)) throw new Error(`install.sh has no line ${line} to stamp`);
  const base = repo === "" ? "" : `https://github.com/${repo}/releases/download/v${s.version}`;
  const file = join(out, "install.sh");
  await Bun.write(file, script.replace(`\n${line}\n`, `\nDEFAULT_BASE="${base}"\n`));
  chmodSync(file, 0o755);
}

/** Builds `targets` into `out`: one folder and archive each, SHA256SUMS, and the npm packages. */
async function buildTargets(targets: Target[], out: string, s: Stamp): Promise<void> {
  const host = hostTarget();
  const sums: string[] = [];
  const binaries = new Map<Target, string>();
  for (const t of targets) {
    const name = `ipc-${s.version}-${t.name}`;
    const dir = join(out, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const exe = join(dir, t.exe);
    if (t === host) await compile(exe, s);
    else await compile(exe, s, t, await runtimeFor(t, out));
    binaries.set(t, exe);
    await Bun.write(join(dir, "README.md"), Bun.file(join(ROOT, "README.md")));
    const archive = t.exe.endsWith(".exe") ? `${name}.zip` : `${name}.tar.gz`;
    rmSync(join(out, archive), { force: true });
    if (archive.endsWith(".zip")) await zipDir(out, archive, name);
    else await $`tar -czf ${archive} ${name}`.cwd(out);
    sums.push(`${await sha256(join(out, archive))}  ${archive}`);
    console.log(`built ${archive}`);
  }
  await Bun.write(join(out, "SHA256SUMS"), `${sums.join("\n")}\n`);
  console.log(`wrote ${join(out, "SHA256SUMS")}`);
  await writeInstaller(out, s);
  const npm = await writeNpmPackages(join(out, "npm"), s, binaries);
  console.log(`wrote npm packages ${npm.join(", ")} into ${join(out, "npm")}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { all: { type: "boolean" }, target: { type: "string", multiple: true }, out: { type: "string" } },
  });
  const out = resolve(values.out ?? join(ROOT, "dist"));
  mkdirSync(out, { recursive: true });
  const s = await stamp();
  if (values.all || values.target) {
    const targets = values.all ? TARGETS : values.target!.map((n) => {
      const t = TARGETS.find((x) => x.name === n);
      if (!t) throw new Error(`unknown target ${n}: one of ${TARGETS.map((x) => x.name).join(", ")}`);
      return t;
    });
    await buildTargets(targets, out, s);
  } else {
    const file = join(out, process.platform === "win32" ? "ipc.exe" : "ipc");
    await compile(file, s);
    console.log(`built ${file} (${s.version}, ${s.commit})`);
  }
}
