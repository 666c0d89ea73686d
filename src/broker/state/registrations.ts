/**
 * Registration limits (issue 10, hole 7): every `register` (v2 and legacy)
 * costs a token from its connection's bucket and from its peer's bucket, so
 * neither one connection nor one client machine-user can mint names without
 * bound (each new name has a fresh request allowance of its own).
 *
 * Peers: Bun exposes no SO_PEERCRED, so the peer uid of a Unix-socket
 * connection is not readable; but the socket is mode 0600 in a 0700 IPC_HOME,
 * so every peer there is the broker's own user (or root): the Unix socket is
 * one peer, which is that uid. On TCP the peer is the remote address, with
 * all of loopback (127.0.0.0/8, ::1) as one peer, since any local user can
 * bind any 127.x address.
 */
import { IpcError } from "../../protocol/errors.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { RateBucket } from "./rate-limit.ts";

/** Most peer buckets kept; full (idle) ones are dropped by `prune` and when over this. */
const MAX_PEERS = 10_000;

export class RegistrationLimits {
  private readonly perConnection = new WeakMap<Connection, RateBucket>();
  private readonly perPeer = new Map<string, RateBucket>();

  constructor(private readonly b: Broker) {}

  /**
   * Charges one registration to `conn` and its peer (both or neither).
   * @throws IpcError RATE_LIMITED with retry_after_ms, naming the setting to raise.
   */
  admit(conn: Connection): void {
    const { registerPerConnection, registerPerMinute, registerBurst } = this.b.config.limits;
    let own = this.perConnection.get(conn);
    if (own === undefined) {
      own = new RateBucket(registerPerConnection, Math.max(1, registerPerConnection));
      this.perConnection.set(conn, own);
    }
    const key = peerOf(conn);
    let peer = this.perPeer.get(key);
    if (peer === undefined) {
      if (this.perPeer.size >= MAX_PEERS) this.prune();
      peer = new RateBucket(registerPerMinute, Math.max(1, registerBurst));
      this.perPeer.set(key, peer);
    }
    const connWait = own.peek();
    if (connWait > 0) {
      throw new IpcError(
        "RATE_LIMITED",
        `too many registrations on this connection (IPC_REGISTER_PER_CONNECTION: ${registerPerConnection} per minute); retry in ${connWait} ms`,
        undefined,
        connWait,
      );
    }
    const peerWait = peer.peek();
    if (peerWait > 0) {
      throw new IpcError(
        "RATE_LIMITED",
        `too many registrations from ${key === UNIX_PEER ? "this user (Unix socket)" : key} (IPC_REGISTER_RATE: ${registerPerMinute} per minute, IPC_REGISTER_BURST: ${registerBurst}); retry in ${peerWait} ms`,
        undefined,
        peerWait,
      );
    }
    own.take();
    peer.take();
  }

  /** Forgets peers whose buckets have refilled (the sweeper calls this). */
  prune(): void {
    for (const [key, bucket] of this.perPeer) if (bucket.full) this.perPeer.delete(key);
  }
}

const UNIX_PEER = "unix";

/** The peer a connection's registrations are counted against. */
export function peerOf(conn: Connection): string {
  if (conn.transport === "unix") return UNIX_PEER;
  const address = conn.socket.remoteAddress ?? "";
  const bare = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (bare.startsWith("127.") || bare === "::1") return "loopback (TCP)";
  return `${bare} (TCP)`;
}
