/**
 * The space key (docs/security.md#the-cluster-nats): 32 random bytes, written as 64
 * hex digits and a newline to a file of mode 0600, that every broker of a
 * space holds and no one else does. Every record a broker publishes on NATS
 * is signed with it (HMAC-SHA256, RFC 2104): stream messages (over their
 * subject and body) and KV values (over their bucket, key and value), so a
 * NATS user without the key can neither forge mail nor take a name.
 * Made by `ipc cluster key`; read by `ipc serve --nats` (`--space-key FILE`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { IpcError } from "../protocol/errors.ts";

/** The length of a signature in hex digits (HMAC-SHA256). */
export const SIG_HEX = 64;

/**
 * Writes a new random key to `file` (mode 0600; its folder made 0700 when missing), unless one is there
 * and not `force` (another key would split the space): then the file is left as it is.
 * @returns true when a new key was written, false when the existing one was kept.
 */
export function makeSpaceKey(file: string, force = false): boolean {
  if (existsSync(file) && !force) return false;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return true;
}

/**
 * Reads the key in `file`.
 * @throws IpcError (exit 2) when it is missing, not 64 hex digits, or readable by other users; the message says what to do.
 */
export function readSpaceKey(file: string, space: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new IpcError(
      "BAD_REQUEST",
      `no space key at ${file}: the brokers of space ${space} sign what they publish with one shared key. ` +
        `Make it once (ipc cluster key --space ${space}), copy the file to every broker of the space (to the same place in its IPC_HOME, or point --space-key / IPC_SPACE_KEY at it)`,
      2,
    );
  }
  if (process.platform !== "win32" && (statSync(file).mode & 0o077) !== 0) {
    throw new IpcError("BAD_REQUEST", `the space key ${file} can be read by other users: chmod 600 ${file} (and make a new key if someone else may have read it)`, 2);
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new IpcError("BAD_REQUEST", `${file} is not a space key (64 hex digits, as ipc cluster key writes): copy it again from a broker of the space`, 2);
  }
  return Buffer.from(hex, "hex");
}

/** Signs and checks records with one space key. Each kind of record signs its own fields, prefixed by a kind tag, so one kind cannot pass as another. */
export class Signer {
  constructor(private readonly key: Buffer) {}

  /** HMAC-SHA256 of the parts (joined by newlines), as 64 hex digits. */
  sign(...parts: string[]): string {
    const h = createHmac("sha256", this.key);
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) h.update("\n");
      h.update(parts[i]!);
    }
    return h.digest("hex");
  }

  /** True when `sig` is the signature of `parts` (compared in constant time). */
  verify(sig: string | undefined | null, ...parts: string[]): boolean {
    if (typeof sig !== "string" || sig.length !== SIG_HEX) return false;
    const want = Buffer.from(this.sign(...parts), "hex");
    const got = Buffer.from(sig, "hex");
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** A KV value signed for `bucket`/`key`: the signature, then the JSON text. */
  seal(bucket: string, key: string, json: string): string {
    return this.sign("kv", bucket, key, json) + json;
  }

  /** The JSON text of a value `seal` made for `bucket`/`key`, or null when it is not one (unsigned, forged, or moved from another key). */
  open(bucket: string, key: string, value: string): string | null {
    if (value.length <= SIG_HEX) return null;
    const json = value.slice(SIG_HEX);
    return this.verify(value.slice(0, SIG_HEX), "kv", bucket, key, json) ? json : null;
  }
}
