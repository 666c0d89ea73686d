/**
 * This machine's pairing with a remote broker (`ipc join`): the broker's
 * address, its pinned certificate fingerprint, the machine name the broker
 * knows us by and our private key, in `$IPC_HOME/remote.json` (0600). While
 * it exists every client of this IPC_HOME — CLI, `ipc mcp`, hooks, waiters —
 * uses that broker and never starts a local one. `ipc leave` removes it.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, rmSync } from "node:fs";
import { writePrivate } from "../home/files.ts";
import * as v from "valibot";
import { paths } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";

export const Joined = v.object({
  host: v.pipe(v.string(), v.minLength(1)),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  fingerprint: v.pipe(v.string(), v.regex(/^SHA256:[A-Za-z0-9_-]{43}$/)),
  machine: v.pipe(v.string(), v.minLength(1)),
  private_key: v.pipe(v.string(), v.startsWith("-----BEGIN PRIVATE KEY-----")),
  joined_at: v.string(),
});
export type Joined = v.InferOutput<typeof Joined>;

/**
 * The pairing of `home`, or null when it has none.
 * @throws IpcError INTERNAL when remote.json exists but is unreadable or malformed (naming the fix).
 */
export function readJoined(c: { home: string }): Joined | null {
  const path = paths.joined(c);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new IpcError("INTERNAL", `cannot read ${path} (${(err as Error).message}): run \`ipc leave\` and join again`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new IpcError("INTERNAL", `${path} is not a regular file: remove it and join again`);
    const parsed = v.safeParse(Joined, JSON.parse(readFileSync(fd, "utf8")));
    if (!parsed.success) throw new Error(parsed.issues[0].message);
    return parsed.output;
  } catch (err) {
    if (err instanceof IpcError) throw err;
    throw new IpcError("INTERNAL", `${path} is damaged (${(err as Error).message}): run \`ipc leave\` and join again`);
  } finally {
    closeSync(fd);
  }
}

/** Saves the pairing of `home` (0600, atomically). */
export function writeJoined(c: { home: string }, j: Joined): void {
  writePrivate(paths.joined(c), `${JSON.stringify(j, null, 2)}\n`);
}

/** Removes the pairing of `home`; true when there was one. */
export function removeJoined(c: { home: string }): boolean {
  try {
    rmSync(paths.joined(c));
    return true;
  } catch {
    return false;
  }
}
