/**
 * One client connection: its socket, frame decoder, protocol mode, bound
 * session, and an output queue that respects backpressure (a reply of any
 * size arrives whole, and a client that stops reading cannot hold unbounded
 * memory).
 */
import type { Socket } from "bun";
import { FrameDecoder, type FrameSink, type InputBudget } from "../protocol/ndjson.ts";
import { type OutputBudget, WriteQueue } from "../protocol/write-queue.ts";
import { errorFrame } from "./frames.ts";
import type { Outlet } from "./group-commit.ts";
import { legacyErrorText } from "./legacy/replies.ts";
import { RateBucket } from "./rate-limit.ts";
import type { Session } from "./sessions.ts";
import type { Subscriber, Waiter } from "./waiters.ts";

/**
 * Protocol spoken on a connection, decided by its first JSON object. Legacy and
 * Closing connections ignore further input and close after their next write.
 */
export const Mode = { Fresh: 0, V2: 1, Legacy: 2, Closing: 3 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];


export class Connection implements Outlet {
  readonly decoder: FrameDecoder;
  /** Where decoded frames go (set by the server once the connection is accepted). */
  sink: FrameSink = { frame: () => {}, invalid: () => {} };
  mode: Mode = Mode.Fresh;
  session: Session | null = null;
  /** Challenge issued by `hello`, consumed by the next proof. */
  nonce: string | null = null;
  /** The client's challenge sent with that `hello` (bound into its `prove`). */
  clientNonce: string | null = null;
  /**
   * Proved the broker key or the shared secret, or bound a session (docs/security.md).
   * Until then (outside open mode) only hello and the ops that authenticate are served.
   */
  authenticated = false;
  /** What this connection proved with `prove` or a per-request proof: the key, the shared secret, or nothing yet. */
  proved: "key" | "secret" | null = null;
  /** Rate bucket used before a session is bound. */
  readonly bucket: RateBucket;
  /** `performance.now()` of the last complete frame (idle timeout). */
  lastActivity = performance.now();
  readonly waiters = new Set<Waiter>();
  subscriber: Subscriber | null = null;
  closed = false;
  /** The peer half-closed: end once the held checks are answered. */
  endAfterWaiters = false;
  private readonly out: WriteQueue;

  constructor(
    readonly socket: Socket<Connection>,
    readonly transport: "tcp" | "unix",
    maxFrameBytes: number,
    bucket: RateBucket,
    inputBudget: InputBudget,
    outputBudget?: OutputBudget,
  ) {
    // Until its first frame, a connection may be a legacy client that sends one object and no newline.
    this.decoder = new FrameDecoder(maxFrameBytes, inputBudget, true);
    this.bucket = bucket;
    this.out = new WriteQueue(socket, undefined, outputBudget);
  }

  /** Forgets replies still queued for a socket that closed (they count against the shared output budget). */
  dropQueuedOutput(): void {
    this.out.discard(false);
  }

  /**
   * Writes now, queueing whatever the socket does not take. On a legacy
   * connection the one reply is followed by close once it is all sent.
   */
  write(text: string): void {
    if (this.closed) return;
    this.out.write(text);
    if (this.mode >= Mode.Legacy || (this.endAfterWaiters && this.waiters.size === 0)) this.end();
  }

  /** Socket became writable: sends what was queued. */
  drain(): void {
    if (!this.closed) this.out.drain();
  }

  /** A group commit failed: every queued answer becomes an INTERNAL error. */
  failCommit(requestKeys: unknown[]): void {
    const message = "the broker could not commit this write to its database; nothing was stored — retry, and see broker.log";
    if (this.mode === Mode.Legacy) {
      this.write(legacyErrorText(message));
      return;
    }
    for (const id of requestKeys) this.write(errorFrame(id, { code: "INTERNAL", message }));
  }

  /** Closes gracefully (FIN after pending output). */
  end(): void {
    if (!this.closed) this.out.end();
  }
}
