/**
 * The npm package as users get it: `npm pack`, install the tarball into an
 * empty directory with npm, and run its `ipc` command (the Node launcher,
 * which runs src/main.ts with the installed Bun): --version, then a real
 * exchange through a broker the packed command starts itself.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { ipc, ipcEnv } from "../helpers/processes.ts";

const ROOT = resolve(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "ipc-npm-"));
// npm's own cache of the real user (filled by `npm ci`), so the install is mostly offline.
const npmCache = join(userInfo().homedir, ".npm");
const e = ipcEnv({ HOME: join(work, "home") });

async function run(argv: string[], cwd: string): Promise<string> {
  const p = Bun.spawn(argv, { cwd, env: { ...e.env, npm_config_cache: npmCache, npm_config_update_notifier: "false" }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  return out;
}

afterAll(async () => {
  await ipc({ ...e, cmd: [join(work, "app", "node_modules", ".bin", "ipc")] }, ["stop"]);
});

test("npm pack → npm install → the packed `ipc` runs", async () => {
  const npm = Bun.which("npm", { PATH: process.env.PATH })!;
  mkdirSync(join(work, "home"), { recursive: true });
  const [packed] = JSON.parse(await run([npm, "pack", "--json", "--pack-destination", work], ROOT));
  const files: string[] = packed.files.map((f: { path: string }) => f.path);
  expect(files).toEqual(expect.arrayContaining(["bin/ipc.js", "src/main.ts", "package.json", "README.md"]));
  expect(files.filter((f) => /^(tests|dist|bench|node_modules)\//.test(f))).toEqual([]);
  expect(packed.name).toBe(pkg.name);

  const app = join(work, "app");
  mkdirSync(app);
  await run([npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--omit=dev", join(work, packed.filename)], app);
  const bin = join(app, "node_modules", ".bin", "ipc");
  const packedIpc = { ...e, cmd: [bin] };
  // `npx agent-ipc` / `bunx agent-ipc` find the command under the package's name.
  expect((await ipc({ ...e, cmd: [join(app, "node_modules", ".bin", "agent-ipc")] }, ["--version"])).code).toBe(0);

  // What `bunx agent-ipc` ends in: the same launcher run by Bun itself (it then reuses that Bun).
  const underBun = await ipc({ ...e, cmd: [process.execPath, join(app, "node_modules", pkg.name, "bin", "ipc.js")] }, ["--version"]);
  expect(underBun.code).toBe(0);
  expect(underBun.stdout).toBe(`${pkg.version}-dev\n`);

  const version = await ipc(packedIpc, ["--version"]);
  expect(version.code).toBe(0);
  expect(version.stdout).toBe(`${pkg.version}-dev\n`);

  expect((await ipc(packedIpc, ["register", "fred"])).code).toBe(0);
  expect((await ipc(packedIpc, ["send", "fred", "hello from the npm package"])).code).toBe(0);
  const check = await ipc(packedIpc, ["check", "--as", "fred"]);
  expect(check.code).toBe(0);
  expect(check.stdout).toContain("hello from the npm package");

  const status = JSON.parse((await ipc(packedIpc, ["status", "--json"])).stdout);
  expect(status.pid).toBeGreaterThan(0);
}, 240_000);
