/**
 * IPC_HOME must belong to the user running ipc: it holds that user's session
 * tokens and database, and ipc makes it private (0700) — which only its owner
 * may do. Another user's directory is refused with a clear sentence instead of
 * a raw `EPERM chmod` (issue 10 hole 10d).
 */
import { readFileSync, statSync } from "node:fs";
import { IpcError } from "../protocol/errors.ts";

/** The login name of `uid` from /etc/passwd, or null. */
export function userName(uid: number): string | null {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (name && Number(id) === uid) return name;
    }
  } catch {
    // no /etc/passwd (containers, Windows)
  }
  return null;
}

/** `uid 1000 (alice)`, or `uid 1000` when the name is unknown. */
export function describeUid(uid: number): string {
  const name = userName(uid);
  return name === null ? `uid ${uid}` : `uid ${uid} (${name})`;
}

/**
 * Why `path` (IPC_HOME or a file in it) is not usable by this process's user, or null
 * when it is (or does not exist yet, or the platform has no uids).
 */
export function foreignOwner(path: string): { owner: number; me: number } | null {
  const me = process.getuid?.();
  if (me === undefined) return null;
  let owner: number;
  try {
    owner = statSync(path).uid;
  } catch {
    return null;
  }
  return owner === me ? null : { owner, me };
}

/** The sentence for an IPC_HOME `home` owned by `owner` while ipc runs as `me`. */
export function foreignHomeMessage(home: string, owner: number, me: number): string {
  const mine = userName(me) ?? String(me);
  return (
    `IPC_HOME ${home} belongs to ${describeUid(owner)}, not to you (${describeUid(me)}): ipc keeps your session tokens and ` +
    `database there and must make it private, so it has to be yours. Use a directory you own (unset IPC_HOME for ~/.ipc, ` +
    `or IPC_HOME=/path/you/own), or, if it should be yours, take it back: sudo chown -R ${mine} ${home}`
  );
}

/**
 * Refuses an IPC_HOME that exists and belongs to another user.
 * @throws IpcError FORBIDDEN saying whose it is and what to do.
 */
export function assertOwnHome(home: string): void {
  const foreign = foreignOwner(home);
  if (foreign !== null) throw new IpcError("FORBIDDEN", foreignHomeMessage(home, foreign.owner, foreign.me));
}
