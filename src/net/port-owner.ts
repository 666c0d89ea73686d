/**
 * Who listens on a TCP port, cheaply and only on Linux: the LISTEN entries of
 * /proc/net/tcp{,6} give each listening socket's owner uid and inode; the
 * process holding that inode is found among /proc/<pid>/fd (only processes we
 * may inspect). Elsewhere: unknown. Used by clients to check that the broker
 * they dialled belongs to their own user, and by `ipc doctor`.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync } from "node:fs";

/** A listening socket from /proc/net/tcp{,6}. */
export interface Listener {
  /** Local address: dotted IPv4, or IPv6 in lower-case hex groups ("::" and "::1" shortened). */
  address: string;
  uid: number;
  inode: string;
}

/** A process listening on a port (what can be learnt of it). */
export interface PortOwner {
  /** null when its process is not visible to this user. */
  pid: number | null;
  /** Its command name (/proc/<pid>/comm), "?" when unknown. */
  name: string;
  uid: number | null;
  /** User name of `uid` (/etc/passwd), else the number. */
  user: string | null;
}

/** Decodes /proc/net/tcp's hex address (32-bit words in host order, little-endian here). */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(Number.parseInt(word.slice(i, i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join(".");
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join(".")}`;
  if (bytes.every((b) => b === 0)) return "::";
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return "::1";
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/**
 * The LISTEN lines of one /proc/net/tcp table. The kernel lists listening
 * sockets first and generates the file as it is read, so reading stops at
 * the first other line: the established and TIME_WAIT entries after it (tens
 * of thousands on a busy machine, half a second to generate) are never made.
 */
function listenLines(table: string): string[] {
  let fd: number;
  try {
    fd = openSync(table, "r");
  } catch {
    return [];
  }
  const lines: string[] = [];
  try {
    const buf = Buffer.alloc(4096);
    let rest = "";
    let header = true;
    // Bounded: at most 1 024 reads of 4 KiB (about 28 000 listening sockets); small reads make the kernel generate little past them.
    for (let i = 0; i < 1024; i++) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const parts = (rest + buf.toString("latin1", 0, n)).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        if (header) {
          header = false;
          continue;
        }
        if (line.trim().split(/\s+/, 4)[3] !== "0A") return lines;
        lines.push(line);
      }
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

/** Listening sockets on `port` in one table (any address). */
function listenersIn(table: string, port: number): Listener[] {
  const out: Listener[] = [];
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of listenLines(table)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`)) {
      out.push({ address: decodeAddress(f[1]!.slice(0, -5)), uid: Number(f[7]), inode: f[9]! });
    }
  }
  return out;
}

/** Listening sockets on `port` (any address, IPv4 and IPv6); empty when unknown (not Linux, no /proc). */
export function listeners(port: number): Listener[] {
  if (process.platform !== "linux") return [];
  return [...listenersIn("/proc/net/tcp", port), ...listenersIn("/proc/net/tcp6", port)];
}

/**
 * The listeners on `port` that can accept a connection to `address` (the
 * address a client is connected to): that address itself, or a wildcard.
 * For an IPv4 address, /proc/net/tcp6 is read only when no IPv4 listener
 * matches (then a dual-stack `::` listener took the connection): on a machine
 * with many IPv4 connections and no IPv6 ones, generating it takes milliseconds.
 */
export function listenersFor(port: number, address: string): Listener[] {
  if (process.platform !== "linux") return [];
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (v4.includes(".")) {
    const found = listenersIn("/proc/net/tcp", port).filter((l) => l.address === v4 || l.address === "0.0.0.0");
    if (found.length > 0) return found;
    return listenersIn("/proc/net/tcp6", port).filter((l) => l.address === `::ffff:${v4}` || l.address === "::");
  }
  return listenersIn("/proc/net/tcp6", port).filter((l) => l.address === address || l.address === "::");
}

/** The name of user `uid` from /etc/passwd, or null. */
export function userName(uid: number): string | null {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length > 2 && Number(f[2]) === uid && f[2] !== "") return f[0]!;
    }
  } catch {
    // No passwd file: the number will do.
  }
  return null;
}

/** The process holding one of `inodes`, or null (not visible to this user, or gone). */
function processWith(inodes: Set<string>): { pid: number; name: string } | null {
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(link)) {
        let name = "?";
        try {
          name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        } catch {
          // Gone meanwhile.
        }
        return { pid: Number(pid), name };
      }
    }
  }
  return null;
}

/** Who listens on `port`, or null when unknown (not Linux, nobody). Scans /proc: for messages, not the hot path. */
export function portOwner(port: number): PortOwner | null {
  const found = listeners(port);
  if (found.length === 0) return null;
  const proc = processWith(new Set(found.map((l) => l.inode)));
  const uid = found[0]!.uid;
  return { pid: proc?.pid ?? null, name: proc?.name ?? "?", uid, user: userName(uid) ?? String(uid) };
}

/** `owner` in words: "pid 42 (nc), user mallory (uid 1001)", or "an unknown program" when nothing is known. */
export function describeOwner(owner: PortOwner | null): string {
  if (owner === null) return "an unknown program";
  const proc = owner.pid === null ? "a process this user cannot inspect" : `pid ${owner.pid} (${owner.name})`;
  return owner.uid === null ? proc : `${proc}, user ${owner.user} (uid ${owner.uid})`;
}
