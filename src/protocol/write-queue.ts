/**
 * Backpressure-aware writing to a Bun socket: whatever `socket.write` does not
 * take now is queued and sent from the `drain` handler, so a frame of any size
 * arrives whole. Used by the broker's connections and by the client.
 */

/** The part of a Bun socket this needs. */
export interface Writable {
  write(data: string | Uint8Array): number;
  end(): void;
  terminate(): void;
}

/** Bytes queued by every WriteQueue that shares it (the broker's memory bound for unread replies). */
export interface OutputBudget {
  held: number;
  readonly max: number;
}

/** Characters above which a text is encoded to bytes before its first write. */
const LARGE_TEXT = 64 * 1024;

export class WriteQueue {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private endWhenFlushed = false;

  constructor(
    private readonly socket: Writable,
    /** Bytes a peer may leave unread before the socket is cut (it stopped reading). */
    private readonly maxQueuedBytes = 64 * 1024 * 1024,
    /** Shared with the other connections' queues, if any: the queue that would go over it is cut. */
    private readonly budget?: OutputBudget,
  ) {}

  /** Bytes waiting for the socket. */
  get pending(): number {
    return this.queuedBytes;
  }

  /** Writes `data` now, queueing the rest. */
  write(data: string | Uint8Array): void {
    if (this.queue.length > 0) {
      this.enqueue(typeof data === "string" ? Buffer.from(data) : data);
      return;
    }
    // A large text is encoded once (not once by the socket and again for its unsent rest).
    if (typeof data === "string" && data.length > LARGE_TEXT) data = Buffer.from(data);
    const n = this.socket.write(data);
    const total = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (n < total) {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      this.enqueue(bytes.subarray(Math.max(n, 0)));
    }
  }

  /** Sends queued bytes; call from the socket's `drain` handler. */
  drain(): void {
    while (this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const n = this.socket.write(chunk);
      if (n <= 0) return;
      this.queuedBytes -= n;
      if (this.budget) this.budget.held -= n;
      if (n < chunk.length) {
        this.queue[0] = chunk.subarray(n);
        return;
      }
      this.queue.shift();
    }
    if (this.endWhenFlushed) this.socket.end();
  }

  /** Ends the socket once everything queued has been sent. */
  end(): void {
    if (this.queue.length === 0) this.socket.end();
    else this.endWhenFlushed = true;
  }

  private enqueue(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.budget) this.budget.held += chunk.length;
    if (this.queuedBytes > this.maxQueuedBytes || (this.budget && this.budget.held > this.budget.max)) this.discard();
  }

  /** Drops everything queued; cuts the socket when `cut` (the peer does not read), not for one already closed. */
  discard(cut = true): void {
    if (this.budget) this.budget.held -= this.queuedBytes;
    const had = this.queue.length > 0;
    this.queue = [];
    this.queuedBytes = 0;
    if (cut && had) this.socket.terminate();
  }
}
