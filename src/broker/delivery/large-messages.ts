/**
 * Large messages (docs/design.md#4-operations): content over the threshold is kept whole in
 * the database and also written to
 * `$IPC_HOME/large-messages/<UTC stamp>_<from>_<to>_<id>.md` (mode 0600);
 * inbox views show a summary and the path instead of the full text.
 * File names come only from validated names and numeric ids, and nothing is
 * written through a symbolic link (issue 10 hole 10e).
 */
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** True when `content` exceeds `thresholdBytes` in UTF-8. */
export function isLarge(content: string, thresholdBytes: number): boolean {
  return content.length * 3 > thresholdBytes && Buffer.byteLength(content) > thresholdBytes;
}

/** `YYYYMMDD-HHMMSS` in UTC. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** The file path of a large message. */
export function largeMessagePath(dir: string, createdAt: number, from: string, to: string, id: number): string {
  return join(dir, `${stamp(createdAt)}_${from}_${to}_${id}.md`);
}

/**
 * Writes the large-message copy with its header (from, to, time, size), mode 0600.
 * Never through a link: the folder must be a real directory (lstat), the file is opened
 * with O_NOFOLLOW and must be a regular file with one link, else nothing is written.
 * @throws Error naming the link and the fix (the caller logs it; the message itself is stored anyway).
 */
export function writeLargeMessage(
  path: string,
  m: { from: string; to: string; createdAt: number; id: number; content: string },
): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const d = lstatSync(dir);
  if (d.isSymbolicLink() || !d.isDirectory()) {
    throw new Error(`refusing to write ${path}: ${dir} is ${d.isSymbolicLink() ? "a symbolic link" : "not a directory"}; remove it and ipc recreates it (0700)`);
  }
  let fd: number;
  try {
    // No O_TRUNC before the checks: a hard link's target must not be emptied.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP") throw new Error(`refusing to write through the symbolic link ${path}; remove it`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1) throw new Error(`refusing to write ${path}: it is ${st.isFile() ? "a hard link to another file" : "not a regular file"}; remove it`);
    ftruncateSync(fd, 0);
    fchmodSync(fd, 0o600);
    const header =
      `# Message ${m.id}\n\n` +
      `- From: ${m.from}\n- To: ${m.to}\n- Time: ${new Date(m.createdAt).toISOString()}\n` +
      `- Size: ${sizeKb(m.content)} KB (${Buffer.byteLength(m.content)} bytes)\n\n---\n\n`;
    writeFileSync(fd, header + m.content);
  } finally {
    closeSync(fd);
  }
}

/** Removes a large-message copy; missing files are fine. */
export function removeLargeMessage(path: string): void {
  rmSync(path, { force: true });
}

/** Size in KiB, one decimal. */
export function sizeKb(content: string): number {
  return Math.round(Buffer.byteLength(content) / 102.4) / 10;
}

/** The first two sentences of `content`, else its first 150 characters (with an ellipsis when cut). */
export function summarize(content: string): string {
  const text = content.trimStart();
  const sentences = /^(.+?[.!?])(?:\s+(.+?[.!?]))?(?=\s|$)/s.exec(text.slice(0, 600));
  if (sentences && sentences[0].length <= 400) return sentences[0].trim();
  const head = text.slice(0, 150);
  return head.length < text.length ? `${head.trimEnd()}…` : head;
}
