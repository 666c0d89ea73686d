/**
 * A release folder made by build.ts as the release workflow makes it, for
 * this machine's target only (fast: no cross-compiling): the archive,
 * SHA256SUMS, the stamped install.sh and the npm packages under npm/.
 * Built once per test process into a temporary folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Target, hostTarget } from "../../build/targets.ts";
import pkg from "../../package.json" with { type: "json" };

const ROOT = resolve(import.meta.dir, "../..");

/** The repository build.ts is told it builds for (GITHUB_REPOSITORY), to check install.sh's stamp. */
export const RELEASE_REPOSITORY = "example-owner/agent-ipc";

export interface HostRelease {
  /** The folder holding SHA256SUMS, the archive, install.sh and npm/. */
  dir: string;
  target: Target;
  version: string;
  /** What `git rev-parse --short HEAD` says here ("unknown" outside a git checkout). */
  commit: string;
}

let building: Promise<HostRelease> | undefined;

/** This machine's release, built on first use; throws if the release matrix has no target for it. */
export function hostRelease(): Promise<HostRelease> {
  building ??= (async () => {
    const target = hostTarget();
    if (!target) throw new Error(`the release matrix has no target for ${process.platform}-${process.arch}`);
    const dir = mkdtempSync(join(tmpdir(), "ipc-release-"));
    // Three copies of a 100 MB binary: gone when the test process ends.
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), GITHUB_REPOSITORY: RELEASE_REPOSITORY };
    delete env.IPC_VERSION;
    delete env.IPC_COMMIT;
    const proc = Bun.spawn([process.execPath, join(ROOT, "build.ts"), "--target", target.name, "--out", dir], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`build.ts --target ${target.name} failed: ${err}`);
    const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT, stderr: "ignore" });
    const commit = git.exitCode === 0 ? git.stdout.toString().trim() : "unknown";
    return { dir, target, version: pkg.version, commit };
  })();
  return building;
}
