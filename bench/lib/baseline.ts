/**
 * The baseline build for `npm run bench -- --baseline PATH|REF`: a binary
 * given by path, or a git ref of this repository built into a folder under
 * the system's temporary directory (`git archive REF | tar -x`, this
 * checkout's node_modules linked in, then that tree's own `bun build.ts`).
 * Built binaries are kept per commit (ipc-bench-baseline-<sha>/dist/ipc), so
 * a second run against the same ref starts at once.
 */
import { $ } from "bun";
import { existsSync, mkdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT, SYSTEM_TMP } from "./procs.ts";

/** A build to measure: the command that runs it, and a label for the report. */
export interface Build {
  cmd: string[];
  label: string;
}

const EXE = process.platform === "win32" ? "ipc.exe" : "ipc";

/**
 * Resolves `arg` to a runnable build: an existing file is used as is; anything
 * else must name a commit (`git rev-parse REF^{commit}` in this checkout).
 * Throws with what to do when it is neither, or when the build fails.
 */
export async function baselineBuild(arg: string, log: (s: string) => void): Promise<Build> {
  if (existsSync(arg) && statSync(arg).isFile()) return { cmd: [resolve(arg)], label: resolve(arg) };
  const rev = await $`git rev-parse --verify --quiet ${`${arg}^{commit}`}`.cwd(ROOT).quiet().nothrow();
  if (rev.exitCode !== 0) throw new Error(`--baseline ${arg}: neither a file nor a git ref of ${ROOT} (give a binary's path, a commit, a tag or a branch)`);
  const sha = rev.stdout.toString().trim();
  const short = sha.slice(0, 7);
  const dir = join(SYSTEM_TMP, `ipc-bench-baseline-${sha}`);
  const bin = join(dir, "dist", EXE);
  if (existsSync(bin)) {
    log(`baseline ${arg} (${short}): reusing ${bin}`);
    return { cmd: [bin], label: `${arg} (${short}), built in ${dir}` };
  }
  log(`baseline ${arg} (${short}): building into ${dir}…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    await $`git archive --format=tar ${sha} | tar -x -C ${dir}`.cwd(ROOT).quiet();
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    const built = await $`${process.execPath} build.ts`.cwd(dir).env({ ...process.env, IPC_COMMIT: short } as Record<string, string>).quiet().nothrow();
    if (built.exitCode !== 0 || !existsSync(bin)) {
      throw new Error(`building ${arg} (${short}) failed (exit ${built.exitCode}):\n${built.stderr.toString().slice(-2000)}`);
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { cmd: [bin], label: `${arg} (${short}), built in ${dir}` };
}
