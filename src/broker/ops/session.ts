/** Ops that authenticate connections and open, bind and end sessions: hello, prove, register, auth, verify, subscribe, unsubscribe, shutdown. */
import { emit, watching } from "../delivery/events.ts";
import { brokerProof, clientProof, hmacProof, listenerBinding, newNonce, PROOF_SUBJECTS, safeEqual } from "../../protocol/auth.ts";
import { IpcError } from "../../protocol/errors.ts";
import type { ResultOf } from "../../protocol/responses.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { refuseReserved } from "../state/reserved.ts";
import { machineRefusal } from "../parties.ts";
import { claimName, seatSession } from "../state/seats.ts";
import { errorFrame, okFrame } from "../edge/frames.ts";
import type { OpHandler } from "./types.ts";

export const hello: OpHandler<"hello"> = (b, conn, req) => {
  conn.nonce = newNonce();
  conn.clientNonce = req.nonce ?? null;
  const result: ResultOf<"hello"> = {
    broker: "ipc",
    version: VERSION,
    protocol: PROTOCOL_VERSION,
    secure: b.secure,
    open: b.open,
    nonce: conn.nonce,
    transport: conn.transport,
  };
  if (req.nonce !== undefined && conn.transport !== "tls") {
    // The listener the client dialled, as this broker sees it: a relay from another port or path does not verify.
    const binding = listenerBinding(conn.transport === "tcp" ? { kind: "tcp", port: conn.socket.localPort } : { kind: "unix", path: b.config.socketPath ?? "" });
    result.proof = brokerProof(b.key, req.nonce, conn.nonce, binding);
    if (b.config.secret !== null) result.secret_proof = brokerProof(b.config.secret, req.nonce, conn.nonce, binding);
  }
  return result;
};

/** Authenticates the connection with clientProof over the last hello's nonces (consumed either way). */
export const prove: OpHandler<"prove"> = (b, conn, req) => {
  const nonce = conn.nonce;
  const clientNonce = conn.clientNonce ?? "";
  conn.nonce = null;
  conn.clientNonce = null;
  if (nonce !== null) {
    const secret = b.config.secret;
    const by = safeEqual(req.proof, clientProof(b.key, nonce, clientNonce))
      ? "key"
      : secret !== null && safeEqual(req.proof, clientProof(secret, nonce, clientNonce))
        ? "secret"
        : null;
    if (by !== null) {
      conn.authenticated = true;
      conn.proved = by;
      return { with: by };
    }
  }
  throw new IpcError(
    "FORBIDDEN",
    nonce === null
      ? "no fresh nonce on this connection: send hello, then prove"
      : "the proof matches neither this broker's key nor its shared secret: run ipc as the broker's owner with the same IPC_HOME, or set IPC_SHARED_SECRET to the broker's secret",
  );
};

/**
 * Checks a per-request HMAC proof (over this connection's nonce ‖ subject) against the key and the
 * secret, consuming the nonce either way; which one it proves, or null.
 */
function proves(b: Broker, conn: Connection, proof: string | undefined, subject: string): "key" | "secret" | null {
  const nonce = conn.nonce;
  conn.nonce = null;
  if (nonce === null || proof === undefined) return null;
  if (safeEqual(proof, hmacProof(b.key, nonce, subject))) return "key";
  if (b.config.secret !== null && safeEqual(proof, hmacProof(b.config.secret, nonce, subject))) return "secret";
  return null;
}

export const register: OpHandler<"register"> = (b, conn, req) => {
  // A connection that proved the key or secret (prove) needs no proof per name; open mode without a secret needs none at all.
  // A session token alone does not let a connection register names: that takes the key or the secret.
  if (conn.proved === null && !(b.open && b.config.secret === null)) {
    const by = proves(b, conn, req.auth, req.name);
    if (by === null) {
      throw new IpcError(
        "FORBIDDEN",
        req.auth === undefined
          ? b.config.secret !== null
            ? "this broker has a shared secret: set IPC_SHARED_SECRET to the same value as the broker's and register again"
            : "this broker only serves clients that prove its key: run ipc as the broker's owner with the same IPC_HOME (it does so by itself), or set IPC_SHARED_SECRET on both sides"
          : "wrong shared secret, or a proof not made with this connection's fresh nonce (send hello first): check IPC_SHARED_SECRET",
      );
    }
    conn.proved = by;
    conn.authenticated = true;
  }
  refuseReserved(b, conn, req.name, req.token);
  b.registrations.admit(conn);
  // Registering again does not reset the name's rate allowance.
  const wait = b.sessions.bucketOf(req.name).take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `too many requests for ${req.name} (IPC_RATE_LIMIT per minute); retry in ${wait} ms`, undefined, wait);
  const now = b.clock();
  // A joined machine registers or takes over only names of its own (parties.ts, machineRefusal).
  const machine = conn.machine;
  const mayHold = machine === null ? undefined : (n: string) => machineRefusal(b, machine, n) === null;
  if (machine !== null && req.fallback !== true) {
    const refused = machineRefusal(b, machine, req.name);
    if (refused !== null) throw refused;
  }
  // One name per live seat: NAME_TAKEN, a takeover, or a default name's free suffix (seats.ts).
  const name = claimName(b, conn, req, now, mayHold);
  if (req.takeover !== true) b.cluster?.refuseHeld(name);
  const fresh = !b.registry.isRegistered(name);
  b.commit.begin();
  if (watching(b) && !b.registry.isRegistered(name)) emit(b, { type: "registered", name, at: now });
  b.registry.register(name, now);
  if (fresh && machine !== null) b.machines.setOrigin(b.registry.identityOf(name), machine);
  const claimed = b.cluster?.registered(name, req.takeover === true) ?? null;
  const { token, session } = b.sessions.create(name, now, conn.machine);
  seatSession(session, req.seat, now);
  b.bind(conn, session);
  const result = { token, name, queued: b.registry.unreadOf(name) };
  if (claimed === null) return result;
  // On a cluster the answer waits until the name is claimed cluster-wide (docs/cluster.md#2-message-flows).
  const id = req.id ?? null;
  void claimed.then((outcome) => {
    if (outcome === "won" || outcome === "unreachable") return b.commit.send(conn, okFrame(id, result), id);
    const err =
      outcome === "taken"
        ? new IpcError("NAME_TAKEN", `${name} was claimed at the same moment on another broker of this cluster, which holds it now: pick another name, or register again with --takeover`)
        : new IpcError("INTERNAL", "internal broker error; nothing of this request was stored; see broker.log");
    b.commit.send(conn, errorFrame(id, err.toBody()), id);
  });
  return undefined;
};

export const auth: OpHandler<"auth"> = (b, conn, req) => {
  const session = b.requireSession(conn, req.token);
  seatSession(session, req.seat, b.clock());
  b.bind(conn, session);
  return { name: session.name, queued: b.registry.unreadOf(session.name) };
};

export const verify: OpHandler<"verify"> = (b, conn, req) => {
  if (b.config.secret === null) throw new IpcError("CONFLICT", "this broker has no shared secret: there is nothing to verify");
  if (proves(b, conn, req.auth, PROOF_SUBJECTS.verify) !== "secret") {
    throw new IpcError("FORBIDDEN", "the proof does not match this broker's shared secret (or no fresh nonce: send hello first)");
  }
  // verify checks a proof and nothing else: the connection stays unauthenticated (prove is for that).
  return {};
};

export const whoami: OpHandler<"whoami"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  return { name: s.name, unread: b.registry.unreadOf(s.name) };
};

export const subscribe: OpHandler<"subscribe"> = (b, conn, req) => {
  const session = b.requireSession(conn, req.token);
  if (conn.session !== session) b.bind(conn, session);
  if (conn.subscriber) b.waiters.unsubscribe(conn.subscriber);
  conn.subscriber = { kind: "subscriber", conn, consume: req.consume === true, deliver: req.deliver === true && req.consume !== true, name: session.name };
  b.waiters.subscribe(conn.subscriber);
  return {};
};

export const unsubscribe: OpHandler<"unsubscribe"> = (b, conn) => {
  if (conn.subscriber) b.waiters.unsubscribe(conn.subscriber);
  conn.subscriber = null;
  return {};
};

export const shutdown: OpHandler<"shutdown"> = (b, conn, req) => {
  const hasSession = req.token !== undefined || conn.session !== null;
  if (hasSession) b.requireSession(conn, req.token);
  else if (conn.proved === null && proves(b, conn, req.auth, PROOF_SUBJECTS.shutdown) === null) {
    throw new IpcError(
      "FORBIDDEN",
      "shutdown needs an authenticated connection (the broker's key or shared secret) or a session: run ipc stop as the broker's owner",
    );
  }
  // Handing the IPC_HOME to another process (a successor) is for the owner, as starting a broker is: the dispatcher checked it (parties.ts, "handover").
  setImmediate(() => b.requestShutdown(req.successor));
  return {};
};
