/**
 * NDJSON framing (https://github.com/ndjson/ndjson-spec): one UTF-8 JSON text
 * per `\n`-terminated line. Used by the broker and the client alike.
 */

/** What a decoder reports, in order of arrival. */
export interface FrameSink {
  /** A complete line (without `\n` or a trailing `\r`), decoded as UTF-8. */
  frame(text: string): void;
  /** A complete line that is not valid UTF-8; the stream goes on. */
  invalid(reason: string): void;
}

/** Thrown by `FrameDecoder.push` when a frame exceeds the limit; the caller must close the stream. */
export class FrameTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`frame larger than ${limit} bytes`);
  }
}

const NEWLINE = 10;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a byte stream into NDJSON frames, holding at most `maxFrameBytes` of
 * an incomplete frame. Blank lines are skipped.
 */
export class FrameDecoder {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** `performance.now()` (ms) when the current incomplete frame began, or 0 when none is pending. */
  partialSince = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for the incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds one chunk; reports every frame it completes to `sink`.
   * @throws FrameTooLarge when a line, complete or not, exceeds the limit.
   */
  push(chunk: Uint8Array, sink: FrameSink): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE);
    while (nl !== -1) {
      let line = chunk.subarray(start, nl);
      if (this.pendingBytes > 0) {
        line = this.join(line);
      }
      if (line.length > this.maxFrameBytes) throw new FrameTooLarge(this.maxFrameBytes);
      this.emit(line, sink);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.slice(start);
      if (this.pendingBytes === 0) this.partialSince = performance.now();
      this.pending.push(rest);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxFrameBytes) throw new FrameTooLarge(this.maxFrameBytes);
    }
  }

  /** The incomplete frame as text (for a legacy client that sends no newline), or null if not UTF-8. */
  pendingText(): string | null {
    if (this.pendingBytes === 0) return "";
    try {
      return utf8.decode(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending));
    } catch {
      return null;
    }
  }

  /** Drops the incomplete frame (after it was consumed through `pendingText`). */
  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.partialSince = 0;
  }

  private join(tail: Uint8Array): Uint8Array {
    this.pending.push(tail);
    const whole = Buffer.concat(this.pending, this.pendingBytes + tail.length);
    this.clear();
    return whole;
  }

  private emit(line: Uint8Array, sink: FrameSink): void {
    let end = line.length;
    if (end > 0 && line[end - 1] === 13) end--;
    if (end === 0) return;
    let text: string;
    try {
      text = utf8.decode(end === line.length ? line : line.subarray(0, end));
    } catch {
      sink.invalid("frame is not valid UTF-8");
      return;
    }
    sink.frame(text);
  }
}
