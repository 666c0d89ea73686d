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
  constructor(
    readonly limit: number,
    /** True when the shared budget of all decoders, not this frame's own limit, ran out. */
    readonly shared = false,
  ) {
    super(shared ? `more than ${limit} bytes of incomplete frames are held in all` : `frame larger than ${limit} bytes`);
  }
}

/** Bytes of incomplete frames held by every decoder that shares it (the broker's memory bound). */
export interface InputBudget {
  held: number;
  readonly max: number;
}

import { ObjectEndScanner } from "./object-end.ts";

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

  /** Scans held bytes for the end of an unterminated JSON object (see pendingObjectComplete), or null. */
  private objectEnd: ObjectEndScanner | null;

  constructor(
    private readonly maxFrameBytes: number,
    /** Shared with the other connections' decoders, if any. */
    private readonly budget?: InputBudget,
    /** Watch for a JSON object sent without a newline (a legacy client), until stopWatchingObjectEnd. */
    watchObjectEnd = false,
  ) {
    this.objectEnd = watchObjectEnd ? new ObjectEndScanner() : null;
  }

  /** Bytes held for the incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds one chunk; reports every frame it completes to `sink`. The complete
   * lines of a chunk are decoded in one go (one call, not one per frame);
   * a chunk with invalid UTF-8 or an over-size region falls back to line by line.
   * @throws FrameTooLarge when a line, complete or not, exceeds the limit.
   */
  push(chunk: Uint8Array, sink: FrameSink): void {
    let start = 0;
    if (this.pendingBytes > 0) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl === -1) {
        this.keep(chunk);
        return;
      }
      const line = this.join(chunk.subarray(0, nl));
      if (line.length > this.maxFrameBytes) throw new FrameTooLarge(this.maxFrameBytes);
      this.emit(line, sink);
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      const region = chunk.subarray(start, last);
      let text: string | null = null;
      if (region.length <= this.maxFrameBytes) {
        try {
          text = utf8.decode(region);
        } catch {
          text = null;
        }
      }
      if (text !== null) {
        for (const line of text.split("\n")) {
          const frame = line.endsWith("\r") ? line.slice(0, -1) : line;
          if (frame !== "") sink.frame(frame);
        }
      } else {
        this.lineByLine(region, sink);
      }
      start = last + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** Emits each line of `region` (complete lines without the final newline) on its own. */
  private lineByLine(region: Uint8Array, sink: FrameSink): void {
    let from = 0;
    for (;;) {
      const nl = region.indexOf(NEWLINE, from);
      const line = region.subarray(from, nl === -1 ? region.length : nl);
      if (line.length > this.maxFrameBytes) throw new FrameTooLarge(this.maxFrameBytes);
      this.emit(line, sink);
      if (nl === -1) return;
      from = nl + 1;
    }
  }

  /** Holds the start of an incomplete frame (copied: the chunk's memory may be reused). */
  private keep(bytes: Uint8Array): void {
    if (this.pendingBytes === 0) this.partialSince = performance.now();
    const copy = bytes.slice();
    this.pending.push(copy);
    this.pendingBytes += bytes.length;
    this.objectEnd?.feed(copy);
    if (this.budget) this.budget.held += bytes.length;
    if (this.pendingBytes > this.maxFrameBytes) throw new FrameTooLarge(this.maxFrameBytes);
    if (this.budget && this.budget.held > this.budget.max) throw new FrameTooLarge(this.budget.max, true);
  }

  /**
   * True when the incomplete frame is a complete JSON object (by structure:
   * it may still fail to parse). Only while `watchObjectEnd` is on; each held
   * byte is scanned once.
   */
  pendingObjectComplete(): boolean {
    return this.objectEnd?.result === "complete";
  }

  /** Stops looking for unterminated objects (the stream turned out to be NDJSON). */
  stopWatchingObjectEnd(): void {
    this.objectEnd = null;
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
    if (this.budget) this.budget.held -= this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.partialSince = 0;
    this.objectEnd?.reset();
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
