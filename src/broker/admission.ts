/**
 * Who may connect (issue 10, hole 6). Every cap stays under the broker's
 * open-file limit, so accept(2) never fails with EMFILE (a broker at that
 * limit spins on its listening socket): past the caps a connection is
 * accepted, told why in one error frame, and closed. TCP connections that have
 * not authenticated have their own small cap and a deadline; the Unix socket
 * (only the broker's own user can open it) keeps a reserve no TCP flood can
 * take, so the owner is never locked out.
 */
import type { Limits } from "../config.ts";
import type { Connection } from "./connection.ts";
import { dashboardFds, type FdLimit, socketRoom } from "./fd-limit.ts";

/** Sockets beyond the connection limit that may be open while they are told no (then they are cut at once). */
const REFUSING_SLACK = 16;

/** How long a refused connection may take to read its refusal before it is cut (ms). */
export const REFUSAL_GRACE_MS = 500;

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
    if (admitted >= this.maxTcp) {
      return `the broker is at its limit of ${this.maxTcp} TCP connections (${this.maxConnections} in all: ${this.reason}; ${this.maxConnections - this.maxTcp} of them are kept for the Unix socket, IPC_SOCKET_RESERVE); clients of the broker's own user connect through its Unix socket, try again shortly`;
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
  }

  /**
   * TCP connections still unauthenticated `authTimeoutSeconds` after they
   * were accepted, however busy (they leave the count: the caller closes
   * them). Those that authenticated leave the count too.
   */
  overdue(now: number): Connection[] {
    this.forgetAuthenticated();
    const limitMs = this.limits.authTimeoutSeconds * 1000;
    if (limitMs === 0) return [];
    const out: Connection[] = [];
    for (const c of this.unauthTcp) {
      if (now - c.openedAt <= limitMs) continue;
      this.unauthTcp.delete(c);
      out.push(c);
    }
    return out;
  }

  private forgetAuthenticated(): void {
    for (const c of this.unauthTcp) if (c.authenticated || c.closed) this.unauthTcp.delete(c);
  }
}
