/**
 * Changing a user's configuration file carefully: nothing is written when
 * nothing changes; otherwise a timestamped backup of the old file comes
 * first, then the new text replaces it atomically (same directory, same
 * mode; through a symlink, the file it points at).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** What happened to one file. */
export interface Written {
  file: string;
  status: "created" | "updated" | "unchanged";
  /** The backup of the previous content, when there was one. */
  backup: string | null;
}

/** The text of `file`, or null when it does not exist. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** `<file>.<UTC yyyymmdd-hhmmss>.bak`, with a counter if that exists already. */
function backupPath(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  let path = `${file}.${stamp}.bak`;
  for (let i = 2; existsSync(path); i++) path = `${file}.${stamp}-${i}.bak`;
  return path;
}

/**
 * Replaces `file` (whose current text is `before`, null if absent) with `after`.
 * @returns "unchanged" without touching anything when the texts are equal.
 */
export function replaceFile(file: string, before: string | null, after: string, now = new Date()): Written {
  if (before === after) return { file, status: "unchanged", backup: null };
  const target = before !== null ? realpathSync(file) : file;
  let backup: string | null = null;
  let mode = 0o644;
  if (before !== null) {
    mode = statSync(target).mode & 0o777;
    backup = backupPath(target, now);
    copyFileSync(target, backup);
  } else {
    mkdirSync(dirname(target), { recursive: true });
  }
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, after, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, target);
  return { file, status: before === null ? "created" : "updated", backup };
}
