/**
 * One client connection: its socket, frame decoder, the frames read but not
 * yet handled, protocol mode, bound session, and an output queue that respects
 * backpressure (a reply of any size arrives whole, and a client that stops
 * reading cannot hold unbounded memory: see intake.ts).
 */
import type { Socket } from "bun";
import { FrameDecoder, type FrameSink, type InputBudget } from "../../protocol/ndjson.ts";
import { type OutputBudget, WriteQueue } from "../../protocol/write-queue.ts";
import { errorFrame } from "./frames.ts";
import type { Outlet } from "../delivery/group-commit.ts";
import { legacyErrorText } from "./legacy/replies.ts";
import { RateBucket } from "../state/rate-limit.ts";
import type { Session } from "../state/sessions.ts";
import type { Subscriber, Waiter } from "../delivery/waiters.ts";

/**
 * Protocol spoken on a connection, decided by its first JSON object. Legacy and
 * Closing connections ignore further input and close after their next write.
 */
export const Mode = { Fresh: 0, V2: 1, Legacy: 2, Closing: 3 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** A line that was not valid UTF-8: answered BAD_REQUEST in its turn. */
export interface InvalidFrame {
  invalid: string;
}

/** Replies left unread (bytes) under which a connection held by backpressure is handled again. */
export const RESUME_BELOW_BYTES = 256 * 1024;

export class Connection implements Outlet {
  readonly decoder: FrameDecoder;
  /** Decoded frames go to the connection's queue (handled by intake.ts, in order). */
  readonly sink: FrameSink = {
    frame: (text) => this.enqueue(text, text.length),
    invalid: (reason) => this.enqueue({ invalid: reason }, 0),
  };
  mode: Mode = Mode.Fresh;
  session: Session | null = null;
  /** `performance.now()` when accepted (deadline to authenticate). */
  readonly openedAt = performance.now();
  /** Requests stopped by backpressure: handled again once the replies drain (see intake.ts). */
  held = false;
  /** The peer half-closed: nothing more will arrive. */
  peerEnded = false;
  /** Called (on a later turn) when a held connection's unread replies fell under RESUME_BELOW_BYTES. */
  onRoom: () => void = () => {};
  private frames: Array<string | InvalidFrame> = [];
  private framesHead = 0;
  /** Characters of the frames queued and not handled yet. */
  queuedChars = 0;
  private roomScheduled = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Challenge issued by `hello`, consumed by the next proof. */
  nonce: string | null = null;
  /** The client's challenge sent with that `hello` (bound into its `prove`). */
  clientNonce: string | null = null;
  /**
   * Proved the broker key or the shared secret, or bound a session (docs/security.md).
   * Until then (outside open mode) only hello and the ops that authenticate are served,
   * and a TCP connection counts against the unauthenticated cap and deadline (admission.ts).
   */
  authenticated = false;
  /**
   * What this connection proved with `prove` or a per-request proof: the key, the shared secret,
   * a joined machine's key (`prove_machine`, TLS listeners only), or nothing yet.
   */
  proved: "key" | "secret" | "machine" | null = null;
  /** The joined machine a TLS connection proved (src/remote/), else null. */
  machine: string | null = null;
  /** Rate bucket used before a session is bound. */
  readonly bucket: RateBucket;
  /** `performance.now()` when its last batch of complete frames was handled (idle timeout). */
  lastActivity = performance.now();
  readonly waiters = new Set<Waiter>();
  subscriber: Subscriber | null = null;
  closed = false;
  /** The peer half-closed: end once the held checks are answered. */
  endAfterWaiters = false;
  private readonly out: WriteQueue;

  constructor(
    readonly socket: Socket<Connection>,
    /** How the client reached us: loopback TCP, the Unix socket, or a TLS network listener (`--listen`). */
    readonly transport: "tcp" | "unix" | "tls",
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

  /** The next frame to handle, in arrival order, or undefined when none is queued. */
  nextFrame(): string | InvalidFrame | undefined {
    if (this.framesHead === this.frames.length) return undefined;
    const f = this.frames[this.framesHead]!;
    this.frames[this.framesHead++] = "";
    if (typeof f === "string") this.queuedChars -= f.length;
    if (this.framesHead === this.frames.length) {
      this.frames = [];
      this.framesHead = 0;
    }
    return f;
  }

  /** Puts back a frame taken by nextFrame that could not be handled yet (it is handled first later). */
  requeueFront(f: string): void {
    if (this.framesHead > 0) this.frames[--this.framesHead] = f;
    else this.frames.unshift(f);
    this.queuedChars += f.length;
  }

  /** Calls onRoom at `performance.now()` time `at` (a heavy op's turn), once however often asked. */
  retryAt(at: number): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.onRoom();
    }, Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Frames read and not handled yet. */
  get queuedFrames(): number {
    return this.frames.length - this.framesHead;
  }

  /** Drops the frames not handled yet (the connection closed: nobody waits for their answers). */
  dropQueuedFrames(): void {
    this.frames = [];
    this.framesHead = 0;
    this.queuedChars = 0;
  }

  private enqueue(f: string | InvalidFrame, chars: number): void {
    this.frames.push(f);
    this.queuedChars += chars;
  }

  /** Bytes of replies queued for the socket (not counting those waiting for the group commit). */
  get pendingOutput(): number {
    return this.out.pending;
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
    else if (this.held) this.checkRoom();
  }

  /** Socket became writable: sends what was queued. */
  drain(): void {
    if (this.closed) return;
    this.out.drain();
    if (this.held) this.checkRoom();
  }

  /** A held connection whose replies drained is handled again, on a later turn (never inside a commit's flush). */
  private checkRoom(): void {
    if (this.roomScheduled || this.out.pending > RESUME_BELOW_BYTES) return;
    this.roomScheduled = true;
    setImmediate(() => {
      this.roomScheduled = false;
      if (!this.closed) this.onRoom();
    });
  }

  /** A group commit failed: every queued answer becomes an INTERNAL error. */
  failCommit(requestKeys: unknown[], diskFull = false): void {
    const message = diskFull
      ? "disk full: the broker could not commit this write to its database; nothing was stored. Free space on the disk holding IPC_HOME, then retry"
      : "the broker could not commit this write to its database; nothing was stored — retry, and see broker.log";
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
