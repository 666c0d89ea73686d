/**
 * Size rules shared by share_file and share_command: the payload of a shared
 * message is bounded by the content limit, and the whole request must fit in
 * one frame (JSON escaping can make text grow).
 */
import type { Config } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import { normalizeName, RESERVED_NAMES } from "../protocol/names.ts";

/** Room left in a frame for the request's other members (op, id, token, to). */
const FRAME_SLACK_BYTES = 1024;

/** The first `max` bytes of `bytes`, cut back to a UTF-8 character boundary. */
export function utf8Prefix(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back up over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** True when a send of `content` + `data` fits in one frame under `config`'s limit. */
export function fitsInFrame(config: Config, content: string, data: Record<string, unknown>): boolean {
  const bytes = Buffer.byteLength(JSON.stringify({ content, data }));
  return bytes + FRAME_SLACK_BYTES <= config.limits.maxFrameBytes;
}

/**
 * Validates a recipient name before doing any work for it.
 * @throws IpcError INVALID_NAME.
 */
export function checkRecipient(to: string): void {
  if (normalizeName(to) === null) {
    const reserved = RESERVED_NAMES.has(to.toLowerCase());
    throw new IpcError(
      "INVALID_NAME",
      reserved
        ? `"${to}" is a reserved name (system, all, broadcast) and receives nothing; to reach everyone, use broadcast`
        : `"${to}" is not a valid recipient: a name is 1–32 characters of letters, digits, '-' and '_'`,
    );
  }
}
