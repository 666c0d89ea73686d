/**
 * Who may connect (issue 10, hole 6). Every cap stays under the broker's
 * open-file limit, so accept(2) never fails with EMFILE (a broker at that
 * limit spins on its listening socket): past the caps a connection is
 * accepted, told why in one error frame, and closed. TCP connections that have
 * not authenticated have their own small cap and a deadline; the Unix socket
 * (only the broker's own user can open it) keeps a reserve no TCP flood can
 * take, so the owner is never locked out.
 *
 * Network (TLS) listeners, which anyone who can reach the port may dial,
 * have a pool of their own (issue 23): at most MAX_UNPROVED_PER_ADDRESS
 * connections per source address (an IPv6 /64 counts as one) that have not
 * proved a joined machine, IPC_MAX_UNAUTH_CONNECTIONS in all; a new
 * connection past either bound pushes out the oldest unproved one of that
 * address (of the busiest address, for the total), so a peer holding
 * connections open cannot keep a machine from connecting, and proving takes
 * it out of the count. They must prove within TLS_PROOF_SECONDS. Handshakes
 * have a global budget (a token bucket): past it a connection is cut before
 * its handshake costs anything; addresses a machine proved from recently
 * have a budget of their own, so a flood from elsewhere does not keep them out.
 */
import type { Limits } from "../../config.ts";
import type { Connection } from "./connection.ts";
import { dashboardFds, type FdLimit, socketRoom } from "./fd-limit.ts";
import { log } from "../log.ts";
import { RateBucket } from "../state/rate-limit.ts";

/** Sockets beyond the connection limit that may be open while they are told no (then they are cut at once). */
const REFUSING_SLACK = 16;

/** How long a refused connection may take to read its refusal before it is cut (ms). */
export const REFUSAL_GRACE_MS = 500;

/** Unproved TLS connections one source address (IPv6: one /64) may hold at once. */
export const MAX_UNPROVED_PER_ADDRESS = 16;
/** Seconds a TLS connection has to prove a joined machine (IPC_AUTH_TIMEOUT when that is shorter). */
export const TLS_PROOF_SECONDS = 5;
/** TLS handshakes started per second on average, all network listeners together, and at once (the bucket's size). */
export const HANDSHAKES_PER_SECOND = 100;
export const HANDSHAKE_BURST = 200;
/** How long an address a machine proved from keeps its own handshake budget (ms). */
const KNOWN_FOR_MS = 24 * 3_600_000;
/** Addresses remembered as a machine's, at most (the oldest is forgotten first). */
const MAX_KNOWN = 4_096;

/** The key an address is counted under: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64). */
export function addressKey(address: string): string {
  const a = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  if (!a.includes(":")) return a;
  const [head = "", tail = ""] = a.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const groups = a.includes("::") ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "").toLowerCase()).join(":")}::/64`;
}

export class Admission {
  /** Connections admitted at most, all transports (under the fd limit). */
  readonly maxConnections: number;
  /** Of those, the most TCP may take (the rest is the Unix socket's reserve). */
  readonly maxTcp: number;
  /** TCP connections not authenticated yet, at most (Infinity when off). */
  readonly maxUnauth: number;
  /** Sockets open in all, admitted or being refused. */
  private sockets = 0;
  private readonly maxSockets: number;
  /** TCP connections admitted and not (yet known to be) authenticated. */
  private readonly unauthTcp = new Set<Connection>();
  private readonly reason: string;
  /** TLS connections that have not proved a machine, by addressKey, oldest first (Set keeps insertion order). */
  private readonly unprovedTls = new Map<string, Set<Connection>>();
  private unprovedTlsCount = 0;
  /** The addressKey each of those was counted under (a closed socket may no longer say its address). */
  private readonly tlsKeys = new WeakMap<Connection, string>();
  /** Handshake budgets: strangers', and that of addresses machines proved from. */
  private readonly handshakes = new RateBucket(HANDSHAKES_PER_SECOND * 60, HANDSHAKE_BURST);
  private readonly knownHandshakes = new RateBucket(HANDSHAKES_PER_SECOND * 60, HANDSHAKE_BURST);
  /** Addresses (addressKey) a joined machine proved its key from, and when (Map order: oldest first). */
  private readonly known = new Map<string, number>();
  /** Handshakes cut for the budget since the last log line. */
  private cutHandshakes = 0;
  private lastCutLog = 0;

  constructor(
    private readonly limits: Limits,
    readonly fd: FdLimit | null,
    hasUnixSocket: boolean,
  ) {
    // The dashboard's descriptors (src/ui/front.ts caps them) are not the broker's to give out.
    const room = socketRoom(fd) - (fd === null ? 0 : dashboardFds(fd));
    const configured = limits.maxConnections > 0 ? limits.maxConnections : Number.POSITIVE_INFINITY;
    this.maxConnections = Math.min(configured, room - REFUSING_SLACK);
    this.maxSockets = room;
    this.reason =
      this.maxConnections < configured
        ? `its open-file limit (ulimit -n) is ${fd?.soft}: raise it before \`ipc serve\`, or lower IPC_MAX_CONNECTIONS`
        : "IPC_MAX_CONNECTIONS";
    const reserve = hasUnixSocket ? Math.min(limits.socketReserve, Math.floor(this.maxConnections / 4)) : 0;
    this.maxTcp = this.maxConnections - reserve;
    this.maxUnauth = limits.maxUnauthConnections > 0 ? Math.min(limits.maxUnauthConnections, this.maxTcp) : this.maxTcp;
  }

  /** True when IPC_MAX_CONNECTIONS asks for more than the fd limit allows (worth a warning). */
  get fdBound(): boolean {
    return this.limits.maxConnections > 0 && this.reason !== "IPC_MAX_CONNECTIONS";
  }

  /**
   * A socket was accepted; `admitted` connections are open already.
   * @returns null to admit it, "cut" to close it at once (no room even to refuse), or the refusal's message.
   */
  admit(conn: Connection, admitted: number): string | "cut" | null {
    this.sockets++;
    if (this.sockets > this.maxSockets) return "cut";
    if (admitted >= this.maxConnections) {
      return `the broker is at its limit of ${this.maxConnections} connections (${this.reason}); try again shortly`;
    }
    if (conn.transport === "unix") return null;
    if (conn.transport === "tls" && !this.handshakeAllowed(conn)) return "cut";
    if (admitted >= this.maxTcp) {
      return `the broker is at its limit of ${this.maxTcp} TCP connections (${this.maxConnections} in all: ${this.reason}; ${this.maxConnections - this.maxTcp} of them are kept for the Unix socket, IPC_SOCKET_RESERVE); clients of the broker's own user connect through its Unix socket, try again shortly`;
    }
    if (conn.transport === "tls") {
      this.admitTls(conn);
      return null;
    }
    if (this.unauthTcp.size >= this.maxUnauth) this.forgetAuthenticated();
    if (this.unauthTcp.size >= this.maxUnauth) {
      return `${this.unauthTcp.size} TCP connections to the broker have not authenticated (limit IPC_MAX_UNAUTH_CONNECTIONS ${this.maxUnauth}): a program is holding connections open without registering (\`ipc doctor\` shows who owns them); clients of the broker's own user connect through its Unix socket, try again shortly`;
    }
    this.unauthTcp.add(conn);
    return null;
  }

  /** A socket closed (admitted or refused). */
  closed(conn: Connection): void {
    this.sockets--;
    this.unauthTcp.delete(conn);
    this.dropTls(conn);
  }

  /** Takes a handshake from the budget of `conn`'s address (a machine's, or everyone else's); false when none is left. */
  private handshakeAllowed(conn: Connection): boolean {
    const key = addressKey(conn.socket.remoteAddress ?? "");
    const seen = this.known.get(key);
    const bucket = seen !== undefined && performance.now() - seen < KNOWN_FOR_MS ? this.knownHandshakes : this.handshakes;
    if (bucket.take() === 0) return true;
    this.cutHandshakes++;
    const now = performance.now();
    if (now - this.lastCutLog >= 60_000) {
      log.warn(`TLS handshakes over the budget (${HANDSHAKES_PER_SECOND}/s): cut ${this.cutHandshakes} connection(s) before their handshake, the last from ${conn.socket.remoteAddress}`);
      this.cutHandshakes = 0;
      this.lastCutLog = now;
    }
    return false;
  }

  /** Counts an unproved TLS connection, first pushing out the oldest unproved one of its address (or of the busiest) when a bound is reached. */
  private admitTls(conn: Connection): void {
    this.forgetAuthenticated();
    const key = addressKey(conn.socket.remoteAddress ?? "");
    let mine = this.unprovedTls.get(key);
    if (mine !== undefined && mine.size >= MAX_UNPROVED_PER_ADDRESS) this.evictOldest(mine);
    if (this.unprovedTlsCount >= this.maxUnauth) {
      let busiest: Set<Connection> | undefined;
      for (const set of this.unprovedTls.values()) if (busiest === undefined || set.size > busiest.size) busiest = set;
      if (busiest !== undefined) this.evictOldest(busiest);
    }
    mine = this.unprovedTls.get(key);
    if (mine === undefined) this.unprovedTls.set(key, (mine = new Set()));
    mine.add(conn);
    this.tlsKeys.set(conn, key);
    this.unprovedTlsCount++;
  }

  /** Closes the oldest connection of `set` at once (it proved nothing; nothing is written to it). */
  private evictOldest(set: Set<Connection>): void {
    const oldest = set.values().next().value;
    if (oldest === undefined) return;
    this.dropTls(oldest);
    oldest.closed = true;
    oldest.socket.terminate();
  }

  /** Takes `conn` out of the unproved TLS count (if it is in it). */
  private dropTls(conn: Connection): void {
    const key = this.tlsKeys.get(conn);
    if (key === undefined) return;
    const set = this.unprovedTls.get(key);
    if (set === undefined || !set.delete(conn)) return;
    this.unprovedTlsCount--;
    if (set.size === 0) this.unprovedTls.delete(key);
  }

  /** Remembers that a joined machine proved its key from `conn`'s address (its own handshake budget from now on). */
  private rememberMachine(conn: Connection): void {
    const key = addressKey(conn.socket.remoteAddress ?? "");
    this.known.delete(key);
    this.known.set(key, performance.now());
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value!);
  }

  /**
   * TCP connections still unauthenticated `authTimeoutSeconds` after they
   * were accepted, however busy (they leave the count: the caller closes
   * them). Those that authenticated leave the count too.
   */
  overdue(now: number): Connection[] {
    this.forgetAuthenticated();
    const limitMs = this.limits.authTimeoutSeconds * 1000;
    const out: Connection[] = [];
    if (limitMs > 0) {
      for (const c of this.unauthTcp) {
        if (now - c.openedAt <= limitMs) continue;
        this.unauthTcp.delete(c);
        out.push(c);
      }
    }
    const tlsMs = this.tlsProofSeconds * 1000;
    for (const set of [...this.unprovedTls.values()]) {
      for (const c of [...set]) {
        if (now - c.openedAt <= tlsMs) break; // oldest first
        this.dropTls(c);
        out.push(c);
      }
    }
    return out;
  }

  /** Seconds a TLS connection has to prove a machine: TLS_PROOF_SECONDS, or IPC_AUTH_TIMEOUT when shorter (never off). */
  get tlsProofSeconds(): number {
    const local = this.limits.authTimeoutSeconds;
    return local > 0 ? Math.min(local, TLS_PROOF_SECONDS) : TLS_PROOF_SECONDS;
  }

  private forgetAuthenticated(): void {
    for (const c of this.unauthTcp) if (c.authenticated || c.closed) this.unauthTcp.delete(c);
    for (const set of [...this.unprovedTls.values()]) {
      for (const c of [...set]) {
        if (!c.authenticated && !c.closed) continue;
        if (c.machine !== null) this.rememberMachine(c);
        this.dropTls(c);
      }
    }
  }
}
