/**
 * The files ipc keeps in IPC_HOME (their paths: `paths` in src/config.ts):
 * private writes (0600 in 0700 folders, atomic) and reading the broker's
 * lock file. Broker, client, MCP server and doctor all go through here.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes `data` to `path` atomically (a temporary file renamed over it) with
 * mode 0600, creating its folder with mode 0700 when missing; never through a
 * link planted at the temporary name.
 * @throws the file system's error (EACCES, ENOSPC, …).
 */
export function writePrivate(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true }); // a leftover (or a planted link) goes; "wx" (O_EXCL) then refuses to follow one
  writeFileSync(tmp, data, { mode: 0o600, flag: "wx" });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** What a broker lock file (`paths.lock`) says. */
export interface LockInfo {
  pid: number;
  host: string;
  /** TCP port, 0 when the owner does not listen on TCP. */
  port: number;
  socket: string | null;
  started_at: string;
  /** "import" while `ipc import-legacy` writes the store (it listens nowhere); absent for a broker. */
  role?: "import";
}

/** Reads a lock file; null when absent or unreadable. */
export function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockInfo;
  } catch {
    return null;
  }
}

/** True when a process with `pid` exists (possibly owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
