/**
 * Single-broker election per IPC_HOME: a lock file created exclusively
 * (O_CREAT|O_EXCL, mode 0600) holding the owner's pid and address. Together
 * with the exclusive TCP bind, exactly one of several brokers started at once
 * wins. A lock whose pid is gone is stale and taken over.
 */
import { linkSync, statSync, unlinkSync } from "node:fs";
import { isAlive, type LockInfo, readLock, writePrivate } from "../../home/files.ts";

export { isAlive, type LockInfo, readLock } from "../../home/files.ts";

/**
 * Tries to take the lock at `path` for this process.
 * @returns "acquired", or the live owner's LockInfo.
 */
export function acquireLock(path: string, info: LockInfo): "acquired" | LockInfo {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(path, info)) return "acquired";
    const owner = readLock(path);
    if (owner !== null && owner.pid !== process.pid && isAlive(owner.pid)) return owner;
    if (owner === null && attempt === 0) {
      // Another broker may be between creating and writing the file.
      Bun.sleepSync(20);
      continue;
    }
    removeLock(path, owner?.pid);
  }
  throw new Error(`could not take the lock ${path}`);
}

/**
 * Creates the lock at `path` holding `info`, only if there is none: the content is written to a
 * private temporary file first and hard-linked into place (link(2) fails with EEXIST when the lock
 * exists), so no reader ever sees an empty lock, even from a broker paused between create and write.
 * @returns false when a lock already exists.
 */
function createLock(path: string, info: LockInfo): boolean {
  const tmp = `${path}.${process.pid}.new`;
  writePrivate(tmp, JSON.stringify(info));
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  } finally {
    unlinkSync(tmp);
  }
}

/** Deletes the lock at `path` if it still belongs to `pid` (default: this process). */
export function removeLock(path: string, pid: number | undefined = process.pid): void {
  const owner = readLock(path);
  if (owner === null || owner.pid === pid) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Hands the lock at `path` from this process to `successor` (a broker started to
 * replace this one, `ipc serve --detach --restart`) in one atomic rename, so
 * there is no moment without an owner in which another broker could take it.
 * @returns false (and changes nothing) when this process does not hold the lock.
 */
export function handOverLock(path: string, successor: number): boolean {
  const owner = readLock(path);
  if (owner === null || owner.pid !== process.pid) return false;
  replaceLock(path, { ...owner, pid: successor, started_at: new Date().toISOString() });
  return true;
}

/**
 * Replaces the lock file's content in one rename (0600): readers see the old or the new owner, never none.
 * (A plain rewrite truncates first: a broker starting in that moment read no owner, took itself for
 * alone, and a restart's successor gave up, so the IPC_HOME was left with no lock.)
 */
export function replaceLock(path: string, info: LockInfo): void {
  writePrivate(path, JSON.stringify(info));
}

/**
 * Waits (at most `timeoutMs`) for the broker `predecessor` to hand this process
 * the lock at `path` (handOverLock), then writes `info` into it.
 * @returns "acquired"; or the owner when another live process holds it (or still
 *   does at the deadline); a lock left by a predecessor that died is taken as usual.
 */
export async function awaitHandover(path: string, info: LockInfo, predecessor: number, timeoutMs = 15_000): Promise<"acquired" | LockInfo> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const owner = readLock(path);
    if (owner?.pid === process.pid) {
      // Ours already: overwrite in place, never delete (that would open a gap).
      replaceLock(path, info);
      return "acquired";
    }
    const waiting = owner !== null && owner.pid === predecessor && isAlive(predecessor);
    if (!waiting) {
      if (owner === null || !isAlive(owner.pid)) return acquireLock(path, info);
      return owner;
    }
    if (performance.now() > deadline) return owner;
    await Bun.sleep(10);
  }
}

/** Milliseconds since the lock file was last written, or Infinity when absent. */
export function lockAge(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Where a broker may listen: a Unix socket path, or a TCP host and port. */
export type BrokerAddress = { unix: string } | { hostname: string; port: number };

/** What answers at an address; see probeOwner. */
export type ProbeResult = "answers" | "silent" | "absent";

/**
 * What is at a lock owner's addresses: "answers" (an ipc broker replies to
 * `hello` within `timeoutMs` at its Unix socket or its TCP port), "silent"
 * (something accepts connections but does not answer: a stopped or stuck
 * broker), or "absent" (nothing listens at any of them: the pid was reused,
 * or a killed broker is an unreaped zombie). Both addresses are probed, so a
 * broker stopped before it bound its socket, or whose socket file was
 * deleted, still counts as present; so does an owner with no address at all
 * (an import). Only an absent owner's lock may be taken over.
 */
export async function probeOwner(owner: LockInfo, timeoutMs = 1_000): Promise<ProbeResult> {
  const targets: BrokerAddress[] = [];
  if (owner.socket) targets.push({ unix: owner.socket });
  if (owner.port > 0) targets.push({ hostname: owner.host, port: owner.port });
  // A live owner that listens nowhere (an import) cannot be judged by its addresses: it is present.
  if (targets.length === 0) return "silent";
  const results = await Promise.all(targets.map((t) => probeAddress(t, timeoutMs)));
  if (results.includes("answers")) return "answers";
  return results.includes("silent") ? "silent" : "absent";
}

/** What is at one address: see probeOwner. Waits at most `timeoutMs`. */
export async function probeAddress(target: BrokerAddress, timeoutMs = 1_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let text = "";
    let connected = false;
    const timer = setTimeout(() => resolve(connected ? "silent" : "absent"), timeoutMs);
    const done = (result: ProbeResult, s?: { end(): void }) => {
      clearTimeout(timer);
      s?.end();
      resolve(result);
    };
    Bun.connect({
      ...target,
      socket: {
        open: (s) => {
          connected = true;
          s.write('{"id":0,"op":"hello"}\n');
        },
        data: (s, chunk) => {
          text += chunk.toString();
          if (text.includes("\n")) done(text.includes('"broker":"ipc"') ? "answers" : "silent", s);
        },
        close: () => done(connected ? "silent" : "absent"),
        error: () => done(connected ? "silent" : "absent"),
      },
    } as Parameters<typeof Bun.connect>[0]).catch(() => done("absent"));
  });
}
