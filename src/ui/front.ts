/**
 * The dashboard's TCP front: a listener on 127.0.0.1 that admits at most a
 * fixed number of connections and relays each, bytes as they are, to the
 * dashboard's HTTP server on a private Unix socket. `Bun.serve` accepts every
 * connection it is offered and has no cap of its own, so 20 000 connections
 * from another local user took every descriptor of the broker (issue 22,
 * hole 6). Here a connection past the cap is answered `503` and closed at
 * once: the front never holds more than `cap` relayed connections, which
 * take 3 descriptors each (the TCP socket and both ends of the Unix one),
 * kept out of the broker's own connection budget (src/broker/edge/fd-limit.ts).
 * Backpressure is kept: a side that cannot write pauses reading the other.
 */
import type { Socket } from "bun";

/** Bytes a relay buffers for a side that is not ready (the upstream still connecting, or a full socket) before it gives up. */
const MAX_BUFFERED = 4 * 1024 * 1024;

const BUSY_TEXT = "the dashboard is at its limit of connections: close other dashboard tabs, or try again in a few seconds\n";
/** The answer to a connection past the cap (then it is closed). */
const BUSY =
  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nRetry-After: 5\r\n" +
  `Content-Length: ${Buffer.byteLength(BUSY_TEXT)}\r\n\r\n${BUSY_TEXT}`;

interface Relay {
  up: Socket<Relay> | null;
  down: Socket<Relay>;
  /** Bytes waiting to be written to the upstream (and to the browser). */
  toUp: Uint8Array[];
  toDown: Uint8Array[];
  buffered: number;
  closed: boolean;
  /** The page server ended its side: the browser's side ends once what it sent is passed on. */
  upEnded: boolean;
  /** Counted in `open` until its browser side closes (false for a refused connection). */
  admitted: boolean;
}

/** A running front. */
export interface Front {
  readonly port: number;
  /** Connections relayed now. */
  readonly open: number;
  /** Connections refused for the cap so far. */
  readonly refused: number;
  stop(): void;
}

/** Writes what `queue` holds, then `chunk`, to `to`; what does not fit stays queued (and `from` pauses). @returns false when the relay must close. */
function pass(r: Relay, to: Socket<Relay>, queue: Uint8Array[], chunk: Uint8Array | null, from: Socket<Relay> | null): boolean {
  if (chunk !== null) {
    queue.push(chunk);
    r.buffered += chunk.length;
  }
  while (queue.length > 0) {
    const head = queue[0]!;
    const n = to.write(head);
    if (n < 0) return false;
    if (n < head.length) {
      queue[0] = head.subarray(n);
      r.buffered -= n;
      from?.pause();
      return r.buffered <= MAX_BUFFERED;
    }
    queue.shift();
    r.buffered -= n;
  }
  from?.resume();
  return true;
}

/** The page server ended its side: end the browser's once the bytes still queued for it are written. */
function upstreamEnded(r: Relay): void {
  r.upEnded = true;
  if (r.toDown.length === 0) close(r);
}

function close(r: Relay): void {
  if (r.closed) return;
  r.closed = true;
  r.down.end();
  r.up?.end();
}

/**
 * Listens on `hostname`:`port` (0 = any free port) and relays up to `cap`
 * connections at once to the HTTP server on Unix socket `upstream`.
 * @throws Error when the port cannot be bound (the caller words it).
 */
export function startFront(hostname: string, port: number, upstream: string, cap: number): Front {
  let open = 0;
  let refused = 0;
  const listener = Bun.listen<Relay>({
    hostname,
    port,
    socket: {
      open(down) {
        if (open >= cap) {
          refused++;
          down.data = { up: null, down, toUp: [], toDown: [], buffered: 0, closed: true, upEnded: true, admitted: false };
          down.end(BUSY);
          return;
        }
        open++;
        const r: Relay = { up: null, down, toUp: [], toDown: [], buffered: 0, closed: false, upEnded: false, admitted: true };
        down.data = r;
        Bun.connect<Relay>({
          unix: upstream,
          data: r,
          socket: {
            open(up) {
              if (r.closed) return void up.end();
              r.up = up;
              if (!pass(r, up, r.toUp, null, down)) close(r);
            },
            data(_up, chunk) {
              if (!r.closed && !pass(r, down, r.toDown, new Uint8Array(chunk), r.up)) close(r);
            },
            drain(up) {
              if (!r.closed && !pass(r, up, r.toUp, null, down)) close(r);
            },
            end: () => upstreamEnded(r),
            close: () => upstreamEnded(r),
            error: () => close(r),
            connectError: () => close(r),
          },
        }).catch(() => close(r));
      },
      data(down, chunk) {
        const r = down.data;
        if (r.closed) return;
        if (r.up === null) {
          r.toUp.push(new Uint8Array(chunk));
          r.buffered += chunk.length;
          if (r.buffered > MAX_BUFFERED) close(r);
          return;
        }
        if (!pass(r, r.up, r.toUp, new Uint8Array(chunk), down)) close(r);
      },
      drain(down) {
        const r = down.data;
        if (!r.closed && !pass(r, down, r.toDown, null, r.up)) close(r);
        else if (r.upEnded && r.toDown.length === 0) close(r);
      },
      close(down) {
        const r = down.data;
        if (r === undefined) return;
        if (r.admitted) {
          r.admitted = false;
          open--;
        }
        close(r);
      },
      error(down) {
        if (down.data !== undefined) close(down.data);
      },
    },
  });
  return {
    port: listener.port,
    get open() {
      return open;
    },
    get refused() {
      return refused;
    },
    stop: () => listener.stop(true),
  };
}
