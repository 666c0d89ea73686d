/**
 * Who listens on a TCP port, cheaply and only on Linux: the socket inode of
 * the LISTEN entry in /proc/net/tcp{,6}, then the process holding that inode
 * among /proc/<pid>/fd (only processes we may inspect). Elsewhere: unknown.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** A process listening on a port. */
export interface PortOwner {
  pid: number;
  /** Its command name (/proc/<pid>/comm). */
  name: string;
}

/** Socket inodes listening on `port` (any address). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
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
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === "0A") inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** The process listening on `port`, or null when unknown (not Linux, not ours to inspect, nobody). */
export function portOwner(port: number): PortOwner | null {
  if (process.platform !== "linux") return null;
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
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
