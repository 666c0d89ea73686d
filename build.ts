/**
 * Release build. `npm run build` compiles `dist/ipc` (or `dist/ipc.exe`) for
 * this machine; `npm run build -- --all` compiles every release target into
 * `dist/ipc-<target>/`, archives each (.tar.gz, or .zip for Windows) and
 * writes `dist/SHA256SUMS`.
 *
 * Cross-compiling needs the Bun runtime of each target. Bun would download it
 * itself; instead we fetch the matching `@oven/bun-<target>` package from the
 * npm registry with `npm pack` (so npm's registry settings apply) and hand its
 * binary to Bun as `executablePath`.
 */
import { $ } from "bun";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "./package.json" with { type: "json" };

/** A release target: Bun's compile target and the npm package carrying that runtime. */
interface Target {
  name: string;
  bun: Bun.Build.CompileTarget;
  npm: string;
  exe: string;
}

export const TARGETS: Target[] = [
  { name: "linux-x64", bun: "bun-linux-x64", npm: "@oven/bun-linux-x64", exe: "ipc" },
  { name: "linux-x64-musl", bun: "bun-linux-x64-musl", npm: "@oven/bun-linux-x64-musl", exe: "ipc" },
  { name: "linux-arm64", bun: "bun-linux-arm64", npm: "@oven/bun-linux-aarch64", exe: "ipc" },
  { name: "darwin-x64", bun: "bun-darwin-x64", npm: "@oven/bun-darwin-x64", exe: "ipc" },
  { name: "darwin-arm64", bun: "bun-darwin-arm64", npm: "@oven/bun-darwin-aarch64", exe: "ipc" },
  { name: "windows-x64", bun: "bun-windows-x64", npm: "@oven/bun-windows-x64", exe: "ipc.exe" },
];

const ROOT = import.meta.dir;
const DIST = join(ROOT, "dist");
const VERSION = process.env.IPC_VERSION ?? pkg.version;

/** Compiles src/main.ts into a standalone executable at `outfile`. */
async function compile(outfile: string, target?: Target, executablePath?: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/main.ts")],
    minify: true,
    sourcemap: "none",
    bytecode: true,
    // Each command in its own chunk: `ipc send` does not load the MCP SDK, setup or doctor code.
    splitting: true,
    format: "esm",
    define: { IPC_BUILD_VERSION: JSON.stringify(VERSION) },
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

/** The Bun runtime binary for `t`, from the npm registry via `npm pack` (cached in dist/.runtimes). */
async function runtimeFor(t: Target): Promise<string> {
  const dir = join(DIST, ".runtimes", `${t.name}-${Bun.version}`);
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
 * Zips dist/`dir` into dist/`archive` with Info-ZIP's `zip`, or, where that is
 * not installed, with Python's standard-library zipfile module.
 */
async function zipDir(archive: string, dir: string): Promise<void> {
  if (Bun.which("zip")) await $`zip -qr ${archive} ${dir}`.cwd(DIST);
  else if (Bun.which("python3")) await $`python3 -m zipfile -c ${archive} ${dir}`.cwd(DIST);
  else throw new Error(`cannot make ${archive}: install zip (apt-get install zip) or python3`);
}

async function buildAll(): Promise<void> {
  const sums: string[] = [];
  for (const t of TARGETS) {
    const name = `ipc-${VERSION}-${t.name}`;
    const dir = join(DIST, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await compile(join(dir, t.exe), t, await runtimeFor(t));
    await Bun.write(join(dir, "README.md"), Bun.file(join(ROOT, "README.md")));
    const archive = t.exe.endsWith(".exe") ? `${name}.zip` : `${name}.tar.gz`;
    rmSync(join(DIST, archive), { force: true });
    if (archive.endsWith(".zip")) await zipDir(archive, name);
    else await $`tar -czf ${archive} ${name}`.cwd(DIST);
    sums.push(`${await sha256(join(DIST, archive))}  ${archive}`);
    console.log(`built ${archive}`);
  }
  await Bun.write(join(DIST, "SHA256SUMS"), `${sums.join("\n")}\n`);
  console.log(`wrote ${join(DIST, "SHA256SUMS")}`);
}

if (import.meta.main) {
  mkdirSync(DIST, { recursive: true });
  if (process.argv.includes("--all")) {
    await buildAll();
  } else {
    const out = join(DIST, process.platform === "win32" ? "ipc.exe" : "ipc");
    await compile(out);
    console.log(`built ${out} (${VERSION})`);
  }
}
