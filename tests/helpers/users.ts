/**
 * Throwaway OS users for multi-user tests (CI runs as root): `useradd` a
 * fresh user, run commands as it with `runuser`, `userdel` it on dispose.
 * Where that is impossible, `multiUserSkip` says why (tests skip with it).
 */
import { chownSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
