/**
 * The dashboard's output, counted in the broker's shared output budget
 * (IPC_MAX_HELD_OUTPUT_BYTES, src/broker/delivery/reply-budget.ts) like every other
 * reply: an HTTP reply from when it is built until its last chunk is handed to
 * the socket, and each WebSocket's unsent frames. A live socket that stops
 * reading is closed (its page reconnects and reloads), as is one a push would
 * take over the budget.
 */
import type { ServerWebSocket } from "bun";
import type { Broker } from "../broker/broker.ts";
import { outputLeft } from "../broker/delivery/reply-budget.ts";

/** Bytes handed to the socket per read of a counted body. */
const CHUNK = 64 * 1024;

/**
 * A response body for `text`, counted in `b.outputBudget` until the server
 * has read it all (or the request went away).
 */
export function countedBody(b: Broker, text: string): ReadableStream<Uint8Array> {
  const bytes = Buffer.from(text);
  let at = 0;
  b.outputBudget.held += bytes.length;
  const release = (): void => {
    b.outputBudget.held -= bytes.length - at;
    at = bytes.length;
  };
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.length, at + CHUNK);
      controller.enqueue(bytes.subarray(at, end));
      b.outputBudget.held -= end - at;
      at = end;
      if (at >= bytes.length) controller.close();
    },
    cancel: release,
  });
}

/** The live WebSockets and the bytes each has not sent yet (counted in the shared output budget). */
export class LiveSockets {
  /** Unsent bytes at which a live socket is closed (Bun's backpressureLimit; it stopped reading). */
  static readonly MAX_BUFFERED = 1024 * 1024;
  private readonly counted = new Map<ServerWebSocket<unknown>, number>();

  constructor(private readonly b: Broker) {}

  get size(): number {
    return this.counted.size;
  }

  add(ws: ServerWebSocket<unknown>): void {
    this.counted.set(ws, 0);
  }

  /** Sends `frame` to every live socket: one that has stopped reading, or that the budget cannot hold now, is closed instead. */
  push(frame: string): void {
    for (const ws of this.counted.keys()) {
      if (ws.getBufferedAmount() + frame.length > LiveSockets.MAX_BUFFERED || outputLeft(this.b) < frame.length) {
        ws.close(1013, "the page fell behind: reconnecting");
        continue;
      }
      ws.send(frame);
      this.recount(ws);
    }
  }

  /** Bun says `ws` drained some of its backlog. */
  drained(ws: ServerWebSocket<unknown>): void {
    this.recount(ws);
  }

  remove(ws: ServerWebSocket<unknown>): void {
    this.b.outputBudget.held -= this.counted.get(ws) ?? 0;
    this.counted.delete(ws);
  }

  closeAll(): void {
    for (const ws of [...this.counted.keys()]) ws.close(1001, "broker stopping");
  }

  private recount(ws: ServerWebSocket<unknown>): void {
    const was = this.counted.get(ws);
    if (was === undefined) return;
    const now = ws.getBufferedAmount();
    this.b.outputBudget.held += now - was;
    this.counted.set(ws, now);
  }
}
