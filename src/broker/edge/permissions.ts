/**
 * Private file modes (docs/design.md#2-configuration): IPC_HOME and every folder in it
 * 0700, every file 0600. Checked when the broker starts; anything more open
 * is tightened and reported (`ipc doctor` reports it too). The umask of the broker process is 077 for everything it creates.
 * Symbolic links and hard-linked files are never followed or changed.
 */
import { chmodSync, type Dirent, lstatSync, readdirSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config.ts";
import { describeUid, foreignOwner, userName } from "../../home/owner.ts";
import { IpcError } from "../../protocol/errors.ts";

/** A path whose mode was wider than it should be. */
export interface ModeFix {
  path: string;
  was: number;
  now: number;
}

/** stat of `path` (following links), or null. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** lstat of `path`, or null when it does not exist. */
function lstat(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Narrows `path`'s mode to `want`; a symbolic link is left alone (chmod would change its
 * target), except IPC_HOME itself (`follow`), which a person may point anywhere on purpose.
 */
function tighten(path: string, want: number, fixes: ModeFix[], follow = false): void {
  const st = follow ? statOrNull(path) : lstat(path);
  // A hard link (nlink > 1) is another file too: its other name may be anywhere.
  if (st === null || st.isSymbolicLink() || (!follow && st.isFile() && st.nlink > 1)) return;
  const mode = st.mode & 0o777;
  if ((mode & ~want) !== 0) {
    try {
      chmodSync(path, want);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EPERM" && code !== "EACCES") throw err;
      // Only the owner may chmod: a file another user (often root, via sudo) left in IPC_HOME.
      const foreign = foreignOwner(path);
      const whose = foreign === null ? "" : ` (it belongs to ${describeUid(foreign.owner)}, not to you)`;
      throw new IpcError(
        "FORBIDDEN",
        `cannot make ${path} private (mode ${mode.toString(8)} → ${want.toString(8)}): ${code}${whose}. Take it back (sudo chown -R ${userName(process.getuid?.() ?? -1) ?? "$USER"} ${path}) or point IPC_HOME at a directory of your own`,
      );
    }
    fixes.push({ path, was: mode, now: want });
  }
}

/** Folders below IPC_HOME walked (IPC_HOME/a/b): ipc's folders are one level deep, so two is plenty. */
const MAX_DEPTH = 2;

/** Tightens `dir` to 0700 and everything in it: folders 0700, files (and the socket) 0600; symlinks are left alone. */
function tightenTree(dir: string, depth: number, fixes: ModeFix[]): void {
  if (depth > 0) tighten(dir, 0o700, fixes);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      if (depth < MAX_DEPTH) tightenTree(path, depth + 1, fixes);
      else tighten(path, 0o700, fixes);
    } else tighten(path, 0o600, fixes);
  }
}

/**
 * Tightens the modes of everything in IPC_HOME (the database, lock, log,
 * sessions/, mcp-parents/, auto-check/, large-messages/ and whatever else is
 * there); returns what it changed.
 * @throws IpcError FORBIDDEN when something too open belongs to another user (naming the fix).
 */
export function enforcePrivateModes(config: Pick<Config, "home">): ModeFix[] {
  if (process.platform === "win32") return [];
  const fixes: ModeFix[] = [];
  tighten(config.home, 0o700, fixes, true);
  if (statOrNull(config.home)?.isDirectory()) tightenTree(config.home, 0, fixes);
  return fixes;
}
