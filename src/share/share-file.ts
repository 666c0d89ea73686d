/**
 * share_file (docs/design.md#4-operations): send a text file's content to another agent as
 * `Shared file: <absolute path>` with `data {type: "file", filepath, content,
 * description}`. Runs only when this agent's user asks; nothing in an
 * incoming message ever triggers it. Symlinks are resolved first and the real
 * path is what the recipient sees; secrets are refused (src/share/sensitive.ts).
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { resolve } from "node:path";
import type { Agent } from "../client/agent.ts";
import { type Config, hostDirs, secretEnvValues } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { checkRecipient, fitsInFrame } from "./_payload.ts";
import { containsPrivateKey, inodeReason, knownSecrets, secretInText, secretPlaces, secretReason, secretRefusal } from "./sensitive.ts";

/** What a shared file is, besides a regular file. */
function kindOf(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (fifo)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

function refuse(path: string, st: Stats): never {
  const kind = kindOf(st);
  throw new IpcError("BAD_REQUEST", `cannot share ${path}: it is ${kind}; only regular text files can be shared`);
}

function fsError(path: string, err: unknown): IpcError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return new IpcError("NOT_FOUND", `no such file: ${path}`);
  if (code === "EACCES" || code === "EPERM") return new IpcError("FORBIDDEN", `cannot read ${path}: permission denied`);
  return new IpcError("BAD_REQUEST", `cannot read ${path}: ${(err as Error).message}`);
}

/** The path the kernel opened for `fd` (Linux /proc/self/fd), or `fallback` where that cannot be read. */
function openedPath(fd: number, fallback: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return fallback;
  }
}

/**
 * Reads `path` as UTF-8 text of at most `maxBytes` bytes. `check(realPath, stats)` runs on the
 * path actually opened and its fstat (after symlinks, before any byte is read) and may throw to refuse it.
 * @throws IpcError NOT_FOUND, FORBIDDEN, BAD_REQUEST (directory, special or binary file), TOO_LARGE.
 */
export function readTextFile(path: string, maxBytes: number, check: (realPath: string, st: Stats) => void = () => {}): string {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    throw fsError(path, err);
  }
  // Checked before opening: opening a fifo for reading would block until a writer appears.
  if (!st.isFile()) refuse(path, st);
  const tooLarge = (size: number) =>
    new IpcError("TOO_LARGE", `cannot share ${path}: it is ${size} bytes; the limit is ${maxBytes} bytes (IPC_MAX_CONTENT_BYTES)`);
  if (st.size > maxBytes) throw tooLarge(st.size);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw fsError(path, err);
  }
  let bytes: Uint8Array;
  try {
    const now = fstatSync(fd); // the file may have been swapped since statSync
    if (!now.isFile()) refuse(path, now);
    check(openedPath(fd, path), now);
    // Read one byte past the limit to notice a file that grew.
    const buf = new Uint8Array(maxBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > maxBytes) throw tooLarge(Math.max(n, now.size));
    bytes = buf.subarray(0, n);
  } catch (err) {
    throw err instanceof IpcError ? err : fsError(path, err);
  } finally {
    closeSync(fd);
  }
  const binary = () => new IpcError("BAD_REQUEST", `cannot share ${path}: it looks binary (not UTF-8 text); only text files can be shared`);
  if (bytes.includes(0)) throw binary();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw binary();
  }
}

/** `path`'s stat, or undefined when it cannot be read (readTextFile then says why). */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The real path of `path` (every symlink resolved). @throws IpcError NOT_FOUND, FORBIDDEN. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    throw fsError(path, err);
  }
}

/**
 * Sends the text file at `opts.path` (resolved against the working directory, then
 * symlinks resolved) to `opts.to` as its real path. The file may be at most
 * config.limits.maxContentBytes bytes. Secrets (IPC_HOME, ~/.ssh, ~/.aws, … .env*, private
 * keys by name or content, /etc/shadow) are refused unless `opts.allowSensitive`; `opts.overridable`
 * says whether the refusal may tell the caller about --allow-sensitive (the CLI: yes, MCP: no).
 * @returns the broker's answer to `send` and the real path sent.
 * @throws IpcError INVALID_NAME, NOT_FOUND, FORBIDDEN, BAD_REQUEST, TOO_LARGE, or the broker's errors from `send`.
 */
export async function shareFile(
  agent: Agent,
  opts: { to: string; path: string; description?: string; allowSensitive?: boolean; overridable?: boolean },
): Promise<ResultOf<"send"> & { filepath: string }> {
  checkRecipient(opts.to);
  const config: Config = agent.config;
  const given = resolve(opts.path);
  const filepath = realPath(given);
  const shown = filepath === given ? filepath : `${filepath} (real path of ${given})`;
  const places = secretPlaces(config.home, hostDirs().home);
  const guard = (opened: string, st?: Stats) => {
    if (opts.allowSensitive === true) return;
    for (const p of new Set([given, filepath, opened])) {
      const reason = secretReason(p, places);
      if (reason !== null) throw secretRefusal(shown, reason, opts.overridable === true);
    }
    const linked = st === undefined ? null : inodeReason(st, places);
    if (linked !== null) throw secretRefusal(shown, linked, opts.overridable === true);
  };
  guard(filepath, statOrUndefined(filepath)); // before opening: a secret is not even opened
  const content = readTextFile(filepath, config.limits.maxContentBytes, guard);
  if (opts.allowSensitive !== true && containsPrivateKey(content)) {
    throw secretRefusal(shown, "it contains a private key block (-----BEGIN … PRIVATE KEY-----)", opts.overridable === true);
  }
  const found = opts.allowSensitive === true ? null : secretInText(content, knownSecrets(config.home, secretEnvValues()));
  if (found !== null) throw secretRefusal(shown, found, opts.overridable === true);
  const data = { type: "file", filepath, content, description: opts.description ?? null };
  const text = `Shared file: ${filepath}`;
  if (!fitsInFrame(config, text, data)) {
    throw new IpcError("TOO_LARGE", `cannot share ${filepath}: escaped as JSON it exceeds the frame limit of ${config.limits.maxFrameBytes} bytes (IPC_MAX_FRAME_BYTES)`);
  }
  return { ...(await agent.call("send", { to: opts.to, content: text, data })), filepath };
}
