/**
 * The npm packages as users get them: build.ts writes them (this machine's
 * target only) into <release>/npm/, `npm pack` packs the main package and the
 * platform package, npm installs both tarballs into an empty folder offline
 * (npm's cache, filled by `npm ci`, has the dependencies; the other platforms'
 * optional packages are skipped), and `npx ipc` runs — under Node and under
 * Bun: first the platform's compiled binary, then, with the platform package
 * gone, src/main.ts with Bun from npm. Then a real exchange through a broker
 * the packed command starts itself.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { TARGETS } from "../../build/targets.ts";
import pkg from "../../package.json" with { type: "json" };
import { ipc, ipcEnv } from "../helpers/processes.ts";
import { hostRelease } from "../helpers/release.ts";

const work = mkdtempSync(join(tmpdir(), "ipc-npm-"));
const app = join(work, "app");
// npm's own cache of the real user (filled by `npm ci`): the install runs with --offline.
const npmCache = join(userInfo().homedir, ".npm");
const e = ipcEnv({ HOME: join(work, "home"), npm_config_cache: npmCache, npm_config_update_notifier: "false" });
const npm = Bun.which("npm", { PATH: process.env.PATH })!;

async function run(argv: string[], cwd: string): Promise<string> {
  const p = Bun.spawn(argv, { cwd, env: e.env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  return out;
}

/** `npm pack` of the package in `dir`; returns npm's JSON report of it. */
async function pack(dir: string): Promise<{ name: string; version: string; filename: string; files: { path: string; mode: number }[] }> {
  return JSON.parse(await run([npm, "pack", "--json", "--pack-destination", work], dir))[0];
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
  await Bun.write(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
  await run([npm, "install", "--offline", "--no-audit", "--no-fund", "--omit=dev", join(work, main.filename), join(work, platform.filename)], app);
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
