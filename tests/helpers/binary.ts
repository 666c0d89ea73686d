/**
 * The compiled `ipc` binary for tests that must exercise it (MCP, README
 * walkthrough): `dist/ipc`, built once per test run if absent or older than the sources.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist", process.platform === "win32" ? "ipc.exe" : "ipc");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let building: Promise<string> | undefined;

/** Path of an up-to-date compiled binary (runs `bun run build` when needed). */
export function compiledBinary(): Promise<string> {
  building ??= (async () => {
    const stale = !existsSync(BINARY) || statSync(BINARY).mtimeMs < newestSource(join(ROOT, "src"));
    if (stale) {
      const proc = Bun.spawn([process.execPath, join(ROOT, "build.ts")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      if (code !== 0) throw new Error(`build failed: ${err}`);
    }
    return BINARY;
  })();
  return building;
}
