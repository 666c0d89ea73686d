/** Ops that open, bind and end sessions: hello, register, auth, subscribe, unsubscribe, shutdown. */
import { hmacProof, newNonce, PROOF_SUBJECTS, safeEqual } from "../../protocol/auth.ts";
import { IpcError } from "../../protocol/errors.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../connection.ts";
import type { OpHandler } from "./types.ts";

export const hello: OpHandler<"hello"> = (b, conn) => {
  conn.nonce = newNonce();
  return { broker: "ipc", version: VERSION, protocol: PROTOCOL_VERSION, secure: b.secure, nonce: conn.nonce, transport: conn.transport };
};

/** Checks a v2 HMAC proof against this connection's nonce, consuming the nonce either way. */
function proves(b: Broker, conn: Connection, proof: string | undefined, subject: string): boolean {
  const nonce = conn.nonce;
  conn.nonce = null;
  if (b.config.secret === null) return true;
  if (nonce === null || proof === undefined) return false;
  return safeEqual(proof, hmacProof(b.config.secret, nonce, subject));
}

export const register: OpHandler<"register"> = (b, conn, req) => {
  if (!proves(b, conn, req.auth, req.name)) {
    throw new IpcError(
      "FORBIDDEN",
      req.auth === undefined
        ? "this broker has a shared secret: set IPC_SHARED_SECRET to the same value as the broker's and register again"
        : "wrong shared secret, or a proof not made with this connection's fresh nonce (send hello first): check IPC_SHARED_SECRET",
    );
  }
  // Registering again does not reset the name's rate allowance.
  const wait = b.sessions.bucketOf(req.name).take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `too many requests for ${req.name} (IPC_RATE_LIMIT per minute); retry in ${wait} ms`, undefined, wait);
  const now = b.clock();
  b.commit.begin();
  b.registry.register(req.name, now);
  const { token, session } = b.sessions.create(req.name, now);
  b.bind(conn, session);
  conn.authenticated = true;
  return { token, name: req.name, queued: b.registry.unreadOf(req.name) };
};

export const auth: OpHandler<"auth"> = (b, conn, req) => {
  const session = b.requireSession(conn, req.token);
  b.bind(conn, session);
  conn.authenticated = true;
  return { name: session.name, queued: b.registry.unreadOf(session.name) };
};

export const verify: OpHandler<"verify"> = (b, conn, req) => {
  if (!b.secure) throw new IpcError("CONFLICT", "this broker has no shared secret (open mode): there is nothing to verify");
  if (!proves(b, conn, req.auth, PROOF_SUBJECTS.verify)) {
    throw new IpcError("FORBIDDEN", "the proof does not match this broker's shared secret (or no fresh nonce: send hello first)");
  }
  conn.authenticated = true;
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
  conn.subscriber = { kind: "subscriber", conn, consume: req.consume === true, name: session.name };
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
  else if (!b.secure || !proves(b, conn, req.auth, PROOF_SUBJECTS.shutdown)) {
    throw new IpcError(
      "FORBIDDEN",
      b.secure
        ? "shutdown needs a session or a proof of the shared secret"
        : "shutdown needs a session: register first, or stop the broker with a signal (ipc stop does both)",
    );
  }
  setImmediate(() => b.requestShutdown());
  return {};
};
