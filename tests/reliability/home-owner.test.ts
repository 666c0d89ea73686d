/**
 * IPC_HOME owned by another user (issue 10 hole 10d): a clear sentence naming
 * the owner and the fix, never a raw `EPERM chmod` trace, and nothing in the
 * directory is touched. Needs root (to chown and to run as uid 65534, nobody).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chownSync, chmodSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { ipcCommand, tempHome } from "../helpers/processes.ts";
import { letOthersReachRepo, restoreRepoModes } from "../helpers/users.ts";

afterAll(restoreRepoModes);

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory owned by `uid` with `mode`. */
function dirOwnedBy(uid: number, mode: number): string {
  const dir = tempHome("ipc-owner-");
  made.push(dir);
  chownSync(dir, uid, uid);
  chmodSync(dir, mode);
  return dir;
}

/** Runs `ipc ...args` as `uid` with IPC_HOME `home` (and a HOME of that user's own). */
async function ipcAs(uid: number, home: string, args: string[]): Promise<{ code: number; stderr: string }> {
  letOthersReachRepo();
  const userHome = dirOwnedBy(uid, 0o700);
  const env = { ...(process.env as Record<string, string>), HOME: userHome, IPC_HOME: home, IPC_PORT: String(freePort()), NO_COLOR: "1" };
  await using proc = Bun.spawn([...ipcCommand(), ...args], { env, uid, gid: uid, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { code, stderr };
}

const STACK = /\n\s+at |unexpected error|EPERM: operation not permitted, chmod/;

describe.skipIf(!isRoot || process.platform !== "linux")("IPC_HOME owned by another user (needs root: chown, run as uid 65534)", () => {
  test("root pointed at nobody's directory: serve, register and send refuse it and touch nothing", async () => {
    const home = dirOwnedBy(NOBODY, 0o755);
    for (const args of [["serve"], ["register", "fred"], ["send", "fred", "hi"]]) {
      const r = await ipcAs(0, home, args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toContain(`IPC_HOME ${home} belongs to uid ${NOBODY} (nobody), not to you (uid 0 (root))`);
      expect(r.stderr).toContain(`sudo chown -R root ${home}`);
    }
    expect(readdirSync(home)).toEqual([]);
    expect(statSync(home).mode & 0o777).toBe(0o755);
  }, 30_000);

  test("nobody pointed at root's directory (the EPERM chmod case): a clear error, for serve and for clients", async () => {
    const home = dirOwnedBy(0, 0o755);
    for (const args of [["serve"], ["register", "fred"]]) {
      const r = await ipcAs(NOBODY, home, args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toContain(`IPC_HOME ${home} belongs to uid 0 (root), not to you (uid ${NOBODY} (nobody))`);
    }
    const doctor = Bun.spawnSync([...ipcCommand(), "doctor", "--no-spawn"], {
      env: { ...(process.env as Record<string, string>), HOME: dirOwnedBy(NOBODY, 0o700), IPC_HOME: home, IPC_PORT: String(freePort()), NO_COLOR: "1" },
      uid: NOBODY,
      gid: NOBODY,
    });
    expect(doctor.stdout.toString()).toContain(`✖ IPC_HOME ${home} belongs to uid 0 (root)`);
  }, 30_000);

  test("a file root left in one's own IPC_HOME (after a sudo) is named, not a raw EPERM", async () => {
    const home = dirOwnedBy(NOBODY, 0o700);
    const db = join(home, "ipc.db");
    writeFileSync(db, "");
    chmodSync(db, 0o644); // root's file, more open than ipc allows: the broker would chmod it
    const r = await ipcAs(NOBODY, home, ["serve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).toContain(`cannot make ${db} private (mode 644 → 600): EPERM (it belongs to uid 0 (root), not to you)`);
  }, 30_000);
});
