/**
 * The per-home broker key (docs/security.md): 256 random bits, hex, in
 * `$IPC_HOME/broker.key`, mode 0600. The broker creates it on first start;
 * clients of the same OS user read it to authenticate the broker and
 * themselves (HMAC over fresh nonces, src/protocol/auth.ts). Other users
 * cannot read it, so they cannot authenticate.
 */
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { paths } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";

/** Where the key of `home` lives. */
export const keyPath = paths.key;

const KEY_RE = /^[0-9a-f]{64}$/;

/** The key, or why it cannot be read (for messages: "missing", "not readable by this user", …). */
export type KeyRead = { key: string; why?: undefined } | { key: null; why: string };

/**
 * Reads the key of `home` without following a symlink. Never throws.
 * @returns `{ key }` (64 hex characters) or `{ key: null, why }`.
 */
export function readKey(c: { home: string }): KeyRead {
  const path = keyPath(c);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { key: null, why: `${path} does not exist (no broker ever started for this IPC_HOME)` };
    if (code === "EACCES" || code === "EPERM") return { key: null, why: `${path} is not readable by this user` };
    if (code === "ELOOP") return { key: null, why: `${path} is a symlink` };
    return { key: null, why: `${path}: ${(err as Error).message}` };
  }
  try {
    if (!fstatSync(fd).isFile()) return { key: null, why: `${path} is not a regular file` };
    const buf = Buffer.alloc(128);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const key = buf.subarray(0, n).toString("utf8").trim();
    return KEY_RE.test(key) ? { key } : { key: null, why: `${path} does not hold a key (64 hex digits)` };
  } finally {
    closeSync(fd);
  }
}

/**
 * The broker's key: read, or created (0600, exclusively, so two starting
 * brokers agree) on first start.
 * @throws IpcError INTERNAL when the file exists but is not a valid key (naming the fix).
 */
export function ensureKey(c: { home: string }): string {
  const first = readKey(c);
  if (first.key !== null) return first.key;
  const path = keyPath(c);
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      writeSync(fd, `${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const r = readKey(c);
  if (r.key === null) {
    throw new IpcError("INTERNAL", `cannot use the broker key: ${r.why}. Remove it (rm ${path}) and start the broker again: it makes a new one (clients of this IPC_HOME pick it up by themselves)`);
  }
  return r.key;
}
