/**
 * Throwaway OS users for multi-user tests (CI runs as root): `useradd` a
 * fresh user, run commands as it with `runuser`, `userdel` it on dispose.
 * Where that is impossible, `multiUserSkip` says why (tests skip with it).
 */
import { afterAll } from "bun:test";
import { chmodSync, chownSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The repository root: another user runs its bun (node_modules) and src/ from here. */
const ROOT = resolve(import.meta.dir, "../..");
let reachable = false;
/** Folders given o+x by letOthersReachRepo, with their modes before. */
const opened: Array<[string, number]> = [];
/** Puts back the modes letOthersReachRepo changed (each test file that uses it calls this in afterAll). */
export function restoreRepoModes(): void {
  for (const [dir, mode] of opened.splice(0)) chmodSync(dir, mode);
  reachable = false;
}
// bun test emits no process "exit"; a module-level hook runs after the first file that loads this helper.
afterAll(restoreRepoModes);

/**
 * Lets other users reach the repository: a folder above it without o+x (a
 * clone made under `mktemp -d`, mode 0700) gets o+x — traverse only, no
 * listing — until the test file's tests are done, when its mode is put back.
 * Idempotent. Needs root (the multi-user tests run as root).
 */
export function letOthersReachRepo(): void {
  if (reachable) return;
  reachable = true;
  for (let dir = ROOT; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      opened.push([dir, mode]);
    }
    if (dirname(dir) === dir) break;
  }
}

/** Why multi-user tests cannot run here, or null when they can. */
export const multiUserSkip: string | null =
  process.platform !== "linux"
    ? "multi-user tests need Linux"
    : process.getuid?.() !== 0
      ? "multi-user tests need root (to useradd a throwaway user)"
      : !Bun.which("useradd") || !Bun.which("userdel") || !Bun.which("runuser")
        ? "multi-user tests need useradd, userdel and runuser"
        : null;
if (multiUserSkip !== null) console.log(`skipping multi-user tests: ${multiUserSkip}`);

/** A throwaway user: its name, uid, a private temp dir it owns, and the command prefix to run as it. */
export interface OtherUser extends AsyncDisposable {
  name: string;
  uid: number;
  /** A fresh directory owned by the user (mode 0700), for its HOME and IPC_HOME. */
  dir: string;
  /** Prefix a command with this to run it as the user, with `env` set explicitly. */
  as(env: Record<string, string>): string[];
}

async function run(cmd: string[]): Promise<{ code: number; err: string }> {
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  return { code, err };
}

/** Creates a throwaway user (see multiUserSkip); deleted on dispose. */
export async function otherUser(): Promise<OtherUser> {
  letOthersReachRepo();
  const name = `ipct${process.pid % 10000}${Math.floor(Math.random() * 1e4)}`;
  const made = await run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  if (made.code !== 0) throw new Error(`useradd ${name} failed: ${made.err}`);
  const id = Bun.spawnSync(["id", "-u", name]);
  const uid = Number(id.stdout.toString().trim());
  const dir = mkdtempSync(join(tmpdir(), "ipc-other-user-"));
  chownSync(dir, uid, uid);
  return {
    name,
    uid,
    dir,
    as: (env) => ["runuser", "-u", name, "--", "env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`)],
    async [Symbol.asyncDispose]() {
      await run(["userdel", "-f", name]);
    },
  };
}
