/**
 * Large messages (docs/design.md#4-operations): content over the threshold is kept whole in
 * the database and also written to
 * `$IPC_HOME/large-messages/<UTC stamp>_<from>_<to>_<id>.md` (mode 0600);
 * inbox views show a summary and the path instead of the full text.
 * File names come only from validated names and numeric ids.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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

/** Writes the large-message copy with its header (from, to, time, size), mode 0600. */
export function writeLargeMessage(
  path: string,
  m: { from: string; to: string; createdAt: number; id: number; content: string },
): void {
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
  const header =
    `# Message ${m.id}\n\n` +
    `- From: ${m.from}\n- To: ${m.to}\n- Time: ${new Date(m.createdAt).toISOString()}\n` +
    `- Size: ${sizeKb(m.content)} KB (${Buffer.byteLength(m.content)} bytes)\n\n---\n\n`;
  writeFileSync(path, header + m.content, { mode: 0o600 });
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
