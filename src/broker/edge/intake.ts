/**
 * Handling a connection's requests with backpressure (issue 10, hole 3).
 * Frames are decoded into the connection's queue and handled in order, one at
 * a time, while the replies the client has not read yet (queued for its socket
 * or waiting for the group commit) stay under CONNECTION_OUTPUT_BYTES. Over
 * it the broker stops handling them and stops reading the socket (the peer's
 * writes then block in TCP) until its replies drain. So a client that pipelines
 * a thousand large requests and never reads (or closes) costs one reply's
 * worth of memory, not a thousand; and what a closed connection left queued is
 * dropped at once (server.ts `close`).
 */
import { IpcError } from "../../protocol/errors.ts";
import type { Broker } from "../broker.ts";
import { type Connection, Mode } from "./connection.ts";
import { handleFrame } from "../dispatch.ts";
import { reply } from "./error-reply.ts";

/** Bytes of unread replies above which a connection's next request waits (one large reply may still go over). */
export const CONNECTION_OUTPUT_BYTES = 1024 * 1024;

/** Replies one connection has not read yet: queued for its socket, or waiting for the commit (bytes, about). */
export function unreadOutput(b: Broker, conn: Connection): number {
  return conn.pendingOutput + b.commit.queuedFor(conn);
}

/**
 * Handles `conn`'s queued frames until none is left or its unread replies go
 * over CONNECTION_OUTPUT_BYTES; then pauses reading it until they drain
 * (Connection.onRoom calls this again). Never throws.
 */
export function pump(b: Broker, conn: Connection): void {
  try {
    handleQueued(b, conn);
  } finally {
    drainHeld(b);
  }
}

/**
 * Writes the messages this connection's sends held back (deliver's
 * `holdBack`), back to back. A failure has already failed the whole group
 * (MessageStore's onHeldWriteFailed: every request in it hears INTERNAL).
 */
function drainHeld(b: Broker): void {
  try {
    b.messages.drain();
  } catch {
    // Answered: see above.
  }
}

/** pump's loop. */
function handleQueued(b: Broker, conn: Connection): void {
  const wasHeld = conn.held;
  conn.held = false;
  // Frames read together arrived together: one clock read for all of them (the idle timeout counts seconds).
  if (conn.queuedFrames > 0) conn.lastActivity = performance.now();
  while (!conn.closed) {
    if (conn.queuedFrames > 0 && unreadOutput(b, conn) > CONNECTION_OUTPUT_BYTES) {
      conn.held = true;
      conn.socket.pause();
      return;
    }
    const f = conn.nextFrame();
    if (f === undefined) break;
    if (typeof f !== "string") reply(b, conn, null, new IpcError("BAD_REQUEST", f.invalid));
    else if (!handleFrame(b, conn, f)) {
      // A heavy op waits its turn; the connection waits with it (in order), others go on.
      conn.requeueFront(f);
      conn.held = true;
      conn.socket.pause();
      conn.retryAt(b.heavyUntil);
      return;
    }
  }
  if (conn.closed) return;
  if (wasHeld) conn.socket.resume();
  if (conn.mode === Mode.Fresh && conn.decoder.bufferedBytes > 0) tryUnterminatedLegacy(b, conn);
  if (conn.peerEnded) endWhenAnswered(conn);
}

/**
 * The peer half-closed and every frame it sent is handled: close once pending
 * answers, held checks included, are out (on a later turn, after the commit).
 */
function endWhenAnswered(conn: Connection): void {
  setImmediate(() => {
    if (conn.queuedFrames > 0 || conn.held) return;
    if (conn.waiters.size === 0) conn.end();
    else conn.endAfterWaiters = true;
  });
}

/** A legacy client sends one JSON object without a newline: serve it once it parses. */
export function tryUnterminatedLegacy(b: Broker, conn: Connection): void {
  if (!conn.decoder.pendingObjectComplete()) return;
  const text = conn.decoder.pendingText();
  if (text === null) return;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof obj === "object" && obj !== null && "action" in obj) {
    conn.decoder.clear();
    conn.lastActivity = performance.now();
    handleFrame(b, conn, text);
  }
}
