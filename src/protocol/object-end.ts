/**
 * Finds where a JSON text that starts with `{` ends, byte by byte as the
 * bytes arrive, without parsing: it tracks nesting depth, strings and
 * escapes (RFC 8259 §2, §7). Each byte is looked at once, so a client
 * trickling a large object costs linear time in total, not a re-parse per
 * chunk. Used for legacy clients, which send one object and no newline.
 */

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** "more": not finished yet; "complete": the object's closing `}` has arrived; "not-object": the text does not start with `{`. */
export type ObjectEnd = "more" | "complete" | "not-object";

/** Scans one JSON text as it arrives; `reset` before the next. */
export class ObjectEndScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private state: ObjectEnd = "more";

  /** Where the scan stands after the bytes fed so far. */
  get result(): ObjectEnd {
    return this.state;
  }

  /** Looks at the next bytes; returns the state after them (bytes after a complete object are ignored). */
  feed(bytes: Uint8Array): ObjectEnd {
    for (let i = 0; i < bytes.length && this.state === "more"; i++) {
      const c = bytes[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (this.depth === 0) {
        if (c === OPEN) this.depth = 1;
        else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) this.state = "not-object";
      } else if (c === QUOTE) this.inString = true;
      else if (c === OPEN || c === OPEN_ARRAY) this.depth++;
      else if ((c === CLOSE || c === CLOSE_ARRAY) && --this.depth === 0) this.state = "complete";
    }
    return this.state;
  }

  /** Starts over for a new text. */
  reset(): void {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.state = "more";
  }
}
