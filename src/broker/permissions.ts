/**
 * Private file modes (docs/design.md#2-configuration): IPC_HOME and every folder in it
 * 0700, every file 0600. Checked when the broker starts; anything more open
 * is tightened and reported (`ipc doctor` reports it too). The umask of the broker process is 077 for everything it creates.
 */
import { chmodSync, type Dirent, existsSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";

/** A path whose mode was wider than it should be. */
export interface ModeFix {
  path: string;
  was: number;
  now: number;
}

/** Narrows `path` to `want`; a file gone meanwhile, or not ours to change (EPERM), is left as it is. */
function tighten(path: string, want: number, fixes: ModeFix[]): void {
  try {
    const mode = lstatSync(path).mode & 0o777;
    if ((mode & ~want) !== 0) {
      chmodSync(path, want);
      fixes.push({ path, was: mode, now: want });
    }
  } catch {
    // ENOENT (a temporary file renamed away), EPERM (not ours): doctor reports what stays open.
  }
}

/** Folders below IPC_HOME walked (IPC_HOME/a/b): ipc's folders are one level deep, so two is plenty. */
const MAX_DEPTH = 2;

/** Tightens `dir` to 0700 and everything in it: folders 0700, files (and the socket) 0600; symlinks are left alone. */
function tightenTree(dir: string, depth: number, fixes: ModeFix[]): void {
  tighten(dir, 0o700, fixes);
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
 */
export function enforcePrivateModes(config: Pick<Config, "home">): ModeFix[] {
  if (process.platform === "win32" || !existsSync(config.home)) return [];
  const fixes: ModeFix[] = [];
  tightenTree(config.home, 0, fixes);
  return fixes;
}
