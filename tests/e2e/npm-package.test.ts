/**
 * The npm packages as users get them: build.ts writes them (this machine's
 * target only) into <release>/npm/, `npm pack` packs the main package and the
 * platform package, npm installs both tarballs into an empty folder offline,
 * and `npx ipc` runs — under Node and under
 * Bun: first the platform's compiled binary, then, with the platform package
 * gone, src/main.ts with Bun from npm. Then a real exchange through a broker
 * the packed command starts itself.
 *
 * Offline, npm resolves a version range only from registry metadata, which
 * `npm ci` never caches (it fetches tarballs by the lockfile's versions). So
 * the folder gets a package-lock.json that pins the packed package's
 * dependencies to this repository's locked versions (appLock): npm then takes
 * their tarballs from a cache that only `npm ci` filled. The other platforms'
 * optional packages exist nowhere offline and are skipped.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { TARGETS } from "../../build/targets.ts";
import pkg from "../../package.json" with { type: "json" };
import repoLock from "../../package-lock.json" with { type: "json" };
import { ipc, ipcEnv } from "../helpers/processes.ts";
import { hostRelease } from "../helpers/release.ts";

const work = mkdtempSync(join(tmpdir(), "ipc-npm-"));
const app = join(work, "app");
// npm's own cache (filled by `npm ci`): npm_config_cache if set, else the real user's; the install runs offline.
const npmCache = process.env.npm_config_cache ?? join(userInfo().homedir, ".npm");
const e = ipcEnv({ HOME: join(work, "home"), npm_config_cache: npmCache, npm_config_update_notifier: "false" });
const npm = Bun.which("npm", { PATH: process.env.PATH })!;

async function run(argv: string[], cwd: string): Promise<string> {
  const p = Bun.spawn(argv, { cwd, env: e.env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  return out;
}

/** `npm pack` of the package in `dir`; returns npm's JSON report of it. */
async function pack(dir: string): Promise<Packed & { files: { path: string; mode: number }[] }> {
  return JSON.parse(await run([npm, "pack", "--json", "--pack-destination", work], dir))[0];
}

type Packed = { name: string; version: string; filename: string; integrity: string };
type LockEntry = Record<string, unknown> & { version?: string; resolved?: string; dev?: boolean };

/**
 * A package-lock.json (lockfileVersion 3) for a folder that depends on the two
 * packed tarballs: the tarballs by `file:` and integrity, and every package of
 * this repository's lock that is not dev-only (the packed package's dependency
 * tree, the same versions `npm ci` installed), each with its registry tarball
 * URL so npm finds it in the cache by that URL.
 */
function appLock(main: Packed, mainManifest: Record<string, unknown>, platform: Packed, platformManifest: Record<string, unknown>, registry: string) {
  const packages: Record<string, LockEntry> = {
    "": { name: "app", dependencies: { [main.name]: `file:../${main.filename}`, [platform.name]: `file:../${platform.filename}` } },
  };
  const pick = (m: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
  const keys = ["dependencies", "optionalDependencies", "bin", "engines", "os", "cpu", "libc"];
  packages[`node_modules/${main.name}`] = { version: main.version, resolved: `file:../${main.filename}`, integrity: main.integrity, ...pick(mainManifest, keys) };
  packages[`node_modules/${platform.name}`] = { version: platform.version, resolved: `file:../${platform.filename}`, integrity: platform.integrity, ...pick(platformManifest, keys) };
  for (const [path, entry] of Object.entries(repoLock.packages as Record<string, LockEntry>)) {
    if (path === "" || entry.dev === true) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const resolved = entry.resolved ?? `${registry.replace(/\/$/, "")}/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    const { devOptional: _, ...rest } = entry;
    packages[path] = { ...rest, resolved };
  }
  return { name: "app", lockfileVersion: 3, requires: true, packages };
}

/** The command name of process `pid` ("ipc" for the compiled binary, "bun" for Bun running src/main.ts). */
function commandOf(pid: number): string {
  return Bun.spawnSync(["ps", "-o", "comm=", "-p", String(pid)]).stdout.toString().trim().split("/").pop()!;
}

afterAll(async () => {
  const bin = join(app, "node_modules", ".bin", "ipc");
  if (existsSync(bin)) await ipc({ ...e, cmd: [bin] }, ["stop"]);
  rmSync(work, { recursive: true, force: true });
});

test("npm pack → npm install --offline → `npx ipc` runs the platform binary, else src/main.ts with Bun", async () => {
  const release = await hostRelease();
  const platformName = `${pkg.name}-${release.target.name}`;
  const expected = `${release.version} (${release.commit})\n`;
  mkdirSync(join(work, "home"), { recursive: true });

  const main = await pack(join(release.dir, "npm", pkg.name));
  expect(main.name).toBe(pkg.name);
  expect(main.version).toBe(pkg.version);
  expect(main.version).not.toContain("-dev");
  const files = main.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(["bin/ipc.js", "src/main.ts", "package.json", "README.md"]));
  expect(files.filter((f) => /^(tests|dist|bench|build|node_modules)\//.test(f))).toEqual([]);
  const manifest = await Bun.file(join(release.dir, "npm", pkg.name, "package.json")).json();
  expect(manifest.optionalDependencies).toEqual(Object.fromEntries(TARGETS.map((t) => [`${pkg.name}-${t.name}`, pkg.version])));
  expect(manifest.ipcBuild).toEqual({ commit: release.commit });
  expect(manifest.scripts).toBeUndefined();
  expect(manifest.private).toBeUndefined();

  const platform = await pack(join(release.dir, "npm", platformName));
  expect(platform.version).toBe(pkg.version);
  const exe = platform.files.find((f) => f.path === `bin/${release.target.exe}`)!;
  expect(exe.mode & 0o111).toBe(0o111);

  mkdirSync(app);
  const platformManifest = await Bun.file(join(release.dir, "npm", platformName, "package.json")).json();
  const registry = (await run([npm, "config", "get", "registry"], work)).trim();
  const lock = appLock(main, manifest, platform, platformManifest, registry);
  await Bun.write(join(app, "package.json"), JSON.stringify({ name: "app", private: true, dependencies: lock.packages[""]!.dependencies }));
  await Bun.write(join(app, "package-lock.json"), JSON.stringify(lock, null, 2));
  await run([npm, "install", "--offline", "--no-audit", "--no-fund", "--omit=dev"], app);
  // Only this platform's package is there; the others were skipped.
  expect(readdirSync(join(app, "node_modules")).filter((d) => d.startsWith(`${pkg.name}-`))).toEqual([platformName]);

  // Under Node (npx runs the launcher with Node), by both command names, and under Bun.
  expect(await run([npm, "exec", "--offline", "--", "ipc", "--version"], app)).toBe(expected);
  expect((await ipc({ ...e, cmd: [join(app, "node_modules", ".bin", "agent-ipc")] }, ["--version"])).stdout).toBe(expected);
  expect(await run([process.execPath, "--bun", "x", "ipc", "--version"], app)).toBe(expected);

  // A real exchange; the broker the packed command started is the compiled binary.
  const packedIpc = { ...e, cmd: [join(app, "node_modules", ".bin", "ipc")] };
  expect((await ipc(packedIpc, ["register", "fred"])).code).toBe(0);
  expect((await ipc(packedIpc, ["send", "fred", "hello from the npm package"])).code).toBe(0);
  const check = await ipc(packedIpc, ["check", "--as", "fred"]);
  expect(check.code).toBe(0);
  expect(check.stdout).toContain("hello from the npm package");
  const status = JSON.parse((await ipc(packedIpc, ["status", "--json"])).stdout);
  expect(commandOf(status.pid)).toBe("ipc");

  // No binary for this platform (or --omit=optional): the same version, from src/main.ts with Bun.
  rmSync(join(app, "node_modules", platformName), { recursive: true });
  expect(await run([npm, "exec", "--offline", "--", "ipc", "--version"], app)).toBe(expected);
  expect(await run([process.execPath, "--bun", "x", "ipc", "--version"], app)).toBe(expected);
  const other = ipcEnv({ HOME: join(work, "home") });
  const fallback = { ...other, cmd: packedIpc.cmd };
  expect((await ipc(fallback, ["register", "wilma"])).code).toBe(0);
  const fallbackStatus = JSON.parse((await ipc(fallback, ["status", "--json"])).stdout);
  expect(commandOf(fallbackStatus.pid)).toMatch(/^bun(\.exe)?$/);
  expect((await ipc(fallback, ["stop"])).code).toBe(0);
}, 240_000);
