/**
 * Who listens on a TCP port, cheaply and only on Linux: the LISTEN entries of
 * /proc/net/tcp{,6} give each listening socket's owner uid and inode; the
 * process holding that inode is found among /proc/<pid>/fd (only processes we
 * may inspect). Elsewhere: unknown. Used by clients to check that the broker
 * they dialled belongs to their own user, and by `ipc doctor`.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

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

/** Listening sockets on `port` (any address); empty when unknown (not Linux, no /proc). */
export function listeners(port: number): Listener[] {
  if (process.platform !== "linux") return [];
  const out: Listener[] = [];
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length > 9 && f[3] === "0A" && f[1]!.endsWith(`:${hexPort}`)) {
        out.push({ address: decodeAddress(f[1]!.slice(0, -5)), uid: Number(f[7]), inode: f[9]! });
      }
    }
  }
  return out;
}

/**
 * The listeners on `port` that can accept a connection to `address` (the
 * address a client is connected to): that address itself, or a wildcard.
 */
export function listenersFor(port: number, address: string): Listener[] {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return listeners(port).filter((l) => l.address === v4 || l.address === `::ffff:${v4}` || l.address === "0.0.0.0" || l.address === "::");
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
