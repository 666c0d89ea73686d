/**
 * Private file modes (DESIGN.md §3): IPC_HOME and its folders 0700, the
 * database, sessions and large-message files 0600. Checked when the broker
 * starts; anything more open is tightened and reported (`ipc doctor` reports
 * it too). The umask of the broker process is 077 for everything it creates.
 */
import { chmodSync, lstatSync, readdirSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import { type Config, paths } from "../config.ts";
import { describeUid, foreignOwner, userName } from "../home/owner.ts";
import { IpcError } from "../protocol/errors.ts";

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

/** Tightens the modes of everything ipc keeps in IPC_HOME; returns what it changed. */
export function enforcePrivateModes(config: Config): ModeFix[] {
  if (process.platform === "win32") return [];
  const fixes: ModeFix[] = [];
  tighten(config.home, 0o700, fixes, true);
  const db = paths.database(config);
  for (const f of [db, `${db}-wal`, `${db}-shm`, paths.lock(config), paths.log(config)]) tighten(f, 0o600, fixes);
  for (const dir of [paths.sessions(config), paths.largeMessages(config)]) {
    tighten(dir, 0o700, fixes);
    // A folder that is a link (or missing) is not entered: its files are not ours to chmod.
    if (!lstat(dir)?.isDirectory()) continue;
    for (const name of readdirSync(dir)) tighten(join(dir, name), 0o600, fixes);
  }
  return fixes;
}
