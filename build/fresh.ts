/**
 * `dist/ipc` kept up to date: built (by build.ts) when it is missing or older
 * than any file under src/. Used by the tests that run the compiled binary and
 * by the benchmark, so neither measures a binary left over from older code.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
/** The compiled binary's path. */
export const BINARY = join(ROOT, "dist", process.platform === "win32" ? "ipc.exe" : "ipc");

/** Newest modification time (ms since the epoch) of any file under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/ipc exists but some file under src/ is newer. */
export function binaryStale(): boolean {
  return existsSync(BINARY) && statSync(BINARY).mtimeMs < newestSource(join(ROOT, "src"));
}

let building: Promise<string> | undefined;

/** Path of an up-to-date dist/ipc (runs build.ts when it is missing or stale; once per process). @throws with build.ts's stderr when the build fails. */
export function freshBinary(): Promise<string> {
  building ??= (async () => {
    if (!existsSync(BINARY) || binaryStale()) {
      const proc = Bun.spawn([process.execPath, join(ROOT, "build.ts")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      if (code !== 0) throw new Error(`build failed: ${err}`);
    }
    return BINARY;
  })();
  return building;
}
