/**
 * The broker's open-file limit (RLIMIT_NOFILE, getrlimit(2)/setrlimit(2)).
 * Every socket is a file descriptor: a broker that accepts past its limit gets
 * EMFILE from accept(2) with the listening socket still readable, and spins.
 * So the broker reads the limit at start, raises the soft limit to the hard
 * one where the OS allows (Bun itself does so at startup on Linux; this makes
 * sure and reads the result), and keeps every connection cap under it.
 * Node has no setrlimit; Bun reaches libc's through bun:ffi.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { readFileSync } from "node:fs";

/** Soft and hard limits on open file descriptors (counts; a huge or unlimited value is capped at 2^31). */
export interface FdLimit {
  soft: number;
  hard: number;
}

/** File descriptors the broker keeps for itself: database, WAL and worker, log, large-message files, listeners, Bun's event loop. */
export const FD_RESERVE = 64;

/** RLIMIT_NOFILE's number and the C library that has getrlimit/setrlimit, per platform. */
const PLATFORM: Partial<Record<NodeJS.Platform, { resource: number; libs: string[] }>> = {
  linux: { resource: 7, libs: ["libc.so.6", "libc.so"] },
  darwin: { resource: 8, libs: ["/usr/lib/libSystem.B.dylib"] },
  freebsd: { resource: 8, libs: ["libc.so.7"] },
};

const CAP = 2 ** 31;

type Rlimit = { get(buf: BigUint64Array): boolean; set(buf: BigUint64Array): boolean };

function libc(): Rlimit | null {
  const p = PLATFORM[process.platform];
  if (p === undefined) return null;
  for (const name of p.libs) {
    try {
      const { symbols } = dlopen(name, {
        getrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
        setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      });
      return {
        get: (buf) => symbols.getrlimit(p.resource, ptr(buf)) === 0,
        set: (buf) => symbols.setrlimit(p.resource, ptr(buf)) === 0,
      };
    } catch {
      // Not this library name: try the next.
    }
  }
  return null;
}

/** The limits from /proc/self/limits (Linux without a usable libc), or null. */
function fromProc(): FdLimit | null {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m === null) return null;
    const n = (s: string) => (s === "unlimited" ? CAP : Math.min(Number(s), CAP));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return null;
  }
}

/**
 * Reads this process's open-file limit, first raising the soft limit to the
 * hard one (to at most 2^20 where the hard limit is unlimited) when it is lower.
 * @returns the limits in force afterwards, or null when the platform does not say (Windows).
 */
export function raiseFdLimit(): FdLimit | null {
  const rl = libc();
  if (rl === null) return fromProc();
  const buf = new BigUint64Array(2);
  if (!rl.get(buf)) return fromProc();
  const target = buf[1]! > 2n ** 20n ? 2n ** 20n : buf[1]!;
  if (buf[0]! < target) {
    const want = new BigUint64Array([target, buf[1]!]);
    if (rl.set(want)) buf[0] = target;
  }
  const n = (x: bigint) => (x >= BigInt(CAP) ? CAP : Number(x));
  return { soft: n(buf[0]!), hard: n(buf[1]!) };
}

/** Lowers this process's soft limit to `soft` (tests, to start from a low limit). @returns false when refused. */
export function setSoftFdLimit(soft: number): boolean {
  const rl = libc();
  if (rl === null) return false;
  const buf = new BigUint64Array(2);
  if (!rl.get(buf)) return false;
  buf[0] = BigInt(soft);
  return rl.set(buf);
}

/** Sockets the broker may hold under `limit`: the soft limit minus FD_RESERVE (at least 16), or Infinity when unknown. */
export function socketRoom(limit: FdLimit | null): number {
  return limit === null ? Number.POSITIVE_INFINITY : Math.max(16, limit.soft - FD_RESERVE);
}

/** Descriptors one dashboard connection takes: its TCP socket, and both ends of its relay to the page server (src/ui/front.ts). */
export const DASHBOARD_FDS_PER_CONNECTION = 3;
/** Dashboard connections at most, however high the limit (a browser needs about 7 per tab). */
export const DASHBOARD_MAX_CONNECTIONS = 32;

/**
 * Connections the dashboard may relay under `limit`: DASHBOARD_MAX_CONNECTIONS,
 * or fewer so the dashboard takes at most an eighth of socketRoom (at least 2).
 * Admission keeps these descriptors (plus 2 listeners) out of the broker's own connections.
 */
export function dashboardConnections(limit: FdLimit | null): number {
  const room = socketRoom(limit);
  return Math.max(2, Math.min(DASHBOARD_MAX_CONNECTIONS, Math.floor((room / 8 - 2) / DASHBOARD_FDS_PER_CONNECTION)));
}

/** Descriptors kept for the dashboard under `limit` (its connections and its two listening sockets). */
export function dashboardFds(limit: FdLimit | null): number {
  return dashboardConnections(limit) * DASHBOARD_FDS_PER_CONNECTION + 2;
}
