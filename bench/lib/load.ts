/**
 * A lean NDJSON load generator for the benchmark: raw Bun sockets,
 * pre-built frames, a fixed pipelining depth per connection, and per-request
 * latency from write to answer (answers to one connection come in order).
 * It counts answer lines instead of parsing them, so the client spends as
 * little CPU as possible on the machine it shares with the server.
 */
import type { Socket } from "bun";
import { connect, handshakeFor } from "./auth.ts";

/** Where to connect. */
export interface Target {
  host: string;
  port: number;
}

/** What one measured run produced. */
export interface LoadResult {
  /** Requests answered in the measured window. */
  count: number;
  /** Measured window (s). */
  seconds: number;
  /** Answers that were errors (contained "ok":false). */
  errors: number;
  /** Latencies of answered requests (µs), unsorted. */
  latenciesUs: Float64Array;
  /** Every request answered, warm-up and drain included (for CPU time per request). */
  total: number;
}

/** One connection driving requests at a fixed depth. */
class Driver {
  private socket!: Socket<undefined>;
  private sentAt: number[] = [];
  private head = 0;
  private partial = "";
  private seq = 0;
  measuring = false;
  stopped = false;
  count = 0;
  /** Answers received, measured or not. */
  total = 0;
  errors = 0;
  lat: number[] = [];
  private done!: () => void;
  readonly finished = new Promise<void>((r) => (this.done = r));

  constructor(
    private readonly frame: (seq: number) => string,
    private readonly depth: number,
  ) {}

  async open(t: Target, setup: string[] = []): Promise<void> {
    // A broker's connection first authenticates (hello, prove: two more answers before the setup's).
    let auth = handshakeFor(t.port);
    let setupLeft = setup.length + (auth === null ? 0 : 2);
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    this.socket = await connect(t.host, t.port, {
      data: (_s, chunk) => {
        const text = this.partial + chunk.toString("latin1");
        // Every answer in one chunk arrived at the same moment: one clock read per chunk.
        const now = performance.now();
        // The next error answer at or after `start` (-1: none in this chunk): one scan per chunk, not one per line.
        let bad = text.indexOf('"ok":false');
        let start = 0;
        let nl = text.indexOf("\n");
        while (nl !== -1) {
          if (bad !== -1 && bad < start) bad = text.indexOf('"ok":false', start);
          const failed = bad !== -1 && bad < nl;
          if (setupLeft > 0) {
            if (auth !== null) {
              this.socket.write(auth.prove(text.slice(start, nl)) + setup.join(""));
              auth = null;
            }
            if (failed) throw new Error(`setup failed: ${text.slice(start, nl)}`);
            if (--setupLeft === 0) ready();
          } else this.answered(now, failed);
          start = nl + 1;
          nl = text.indexOf("\n", start);
        }
        this.partial = text.slice(start);
        if (setupLeft === 0 && !this.stopped) this.fill();
      },
      close: () => this.done(),
    });
    if (auth !== null) this.socket.write(auth.hello);
    else if (setup.length === 0) ready();
    else this.socket.write(setup.join(""));
    await isReady;
  }

  /** The next answer (answers come in request order) arrived at `t`; `failed` when it was an error. */
  private answered(t: number, failed: boolean): void {
    const sent = this.sentAt[this.head++]!;
    this.total++;
    if (this.head > 4096) {
      this.sentAt = this.sentAt.slice(this.head);
      this.head = 0;
    }
    if (this.measuring) {
      this.count++;
      this.lat.push((t - sent) * 1000);
      if (failed) this.errors++;
    }
  }

  /** Keeps `depth` requests in flight. */
  fill(): void {
    const inFlight = this.sentAt.length - this.head;
    if (inFlight >= this.depth) return;
    let batch = "";
    const now = performance.now();
    for (let i = inFlight; i < this.depth; i++) {
      batch += this.frame(this.seq++);
      this.sentAt.push(now);
    }
    this.socket.write(batch);
  }

  /** Stops issuing; resolves when every request in flight is answered. */
  async drain(): Promise<void> {
    this.stopped = true;
    while (this.sentAt.length - this.head > 0) await Bun.sleep(1);
  }

  close(): void {
    this.socket.end();
  }
}

/**
 * Runs `connections` × `depth` in-flight requests for `warmupMs` then `measureMs`.
 * `frame(seq)` builds request number `seq` (with its trailing newline); `setup`
 * frames (e.g. register) are sent first on each connection, per connection index.
 */
export async function runLoad(opts: {
  target: Target;
  connections: number;
  depth: number;
  frame: (conn: number, seq: number) => string;
  setup?: (conn: number) => string[];
  warmupMs: number;
  measureMs: number;
}): Promise<LoadResult> {
  const drivers = Array.from({ length: opts.connections }, (_, i) => new Driver((seq) => opts.frame(i, seq), opts.depth));
  await Promise.all(drivers.map((d, i) => d.open(opts.target, opts.setup?.(i) ?? [])));
  for (const d of drivers) d.fill();
  await Bun.sleep(opts.warmupMs);
  for (const d of drivers) d.measuring = true;
  const t0 = performance.now();
  await Bun.sleep(opts.measureMs);
  for (const d of drivers) d.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(drivers.map((d) => d.drain()));
  for (const d of drivers) d.close();
  const lat = new Float64Array(drivers.reduce((n, d) => n + d.lat.length, 0));
  let k = 0;
  for (const d of drivers) for (const v of d.lat) lat[k++] = v;
  return { count: drivers.reduce((n, d) => n + d.count, 0), seconds, errors: drivers.reduce((n, d) => n + d.errors, 0), latenciesUs: lat, total: drivers.reduce((n, d) => n + d.total, 0) };
}
