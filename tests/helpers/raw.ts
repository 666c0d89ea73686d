/**
 * A raw TCP client for protocol tests: writes bytes exactly as given and
 * reads frames (NDJSON) or everything until close (legacy).
 *
 * It authenticates like the real client, transparently: before the first v2
 * frame that is not `hello` (and carries no proof of its own), it sends
 * `hello` with a nonce and `prove`s the key of the broker's IPC_HOME (known
 * for brokers started by tests/helpers), then sends the frame; the test never
 * sees those two replies. Legacy frames and raw writes are sent as they are.
 */
import { readKey } from "../../src/home/key.ts";
import { clientProof, newNonce } from "../../src/protocol/auth.ts";

/** IPC_HOMEs of the brokers tests started, by TCP port (testBroker, ipcEnv fill it). */
const brokerHomes = new Map<number, string>();

/** Records that the broker on `port` serves `home`, so raw clients can prove its key. */
export function noteBrokerHome(port: number, home: string): void {
  brokerHomes.set(port, home);
}

export class RawClient implements AsyncDisposable {
  private buffer = "";
  /** fresh: may still authenticate; done: authenticated, or decided not to. */
  private auth: "fresh" | "done" = "fresh";
  /** The authentication under way: writes and reads wait for it. */
  private authing: Promise<void> | null = null;
  private readonly utf8 = new TextDecoder();
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(
    private readonly socket: import("bun").Socket<undefined>,
    private readonly port: number,
  ) {}

  /** Connects; `authenticate: false` keeps the connection as a stranger's (no key proof, ever). */
  static async connect(port: number, host = "127.0.0.1", opts: { authenticate?: boolean } = {}): Promise<RawClient> {
    let client!: RawClient;
    const socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data(_s, chunk) {
          client.buffer += client.utf8.decode(chunk, { stream: true });
          client.wake();
        },
        close() {
          client.closed = true;
          client.wake();
        },
        error() {
          client.closed = true;
          client.wake();
        },
      },
    });
    client = new RawClient(socket, port);
    if (opts.authenticate === false) client.auth = "done";
    return client;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** How far `buffer` is known to hold no newline: a multi-MB reply is scanned once, not once per chunk. */
  private scanned = 0;

  /** Whether `buffer` holds a whole line (scanning only what arrived since the last look). */
  private hasLine(): boolean {
    if (this.buffer.indexOf("\n", this.scanned) !== -1) return true;
    this.scanned = this.buffer.length;
    return false;
  }

  /** Takes the first line off `buffer` (null when there is none). */
  private takeLine(): string | null {
    const nl = this.buffer.indexOf("\n", this.scanned);
    if (nl === -1) return null;
    const line = this.buffer.slice(0, nl);
    this.buffer = this.buffer.slice(nl + 1);
    this.scanned = 0;
    return line;
  }

  private async until(cond: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!cond()) {
      if (performance.now() > deadline) throw new Error(`timed out; received so far: ${this.buffer.slice(0, 500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** Writes raw bytes or text, no newline added (after the authentication, if one is under way). */
  write(data: string | Uint8Array): void {
    if (this.authing === null) this.socket.write(data);
    else this.authing = this.authing.then(() => void this.socket.write(data));
  }

  /** Writes one NDJSON frame, authenticating first when it is the first v2 request that needs it. */
  send(frame: unknown): void {
    if (this.auth === "fresh" && needsAuth(frame)) {
      this.auth = "done";
      const key = brokerHomes.has(this.port) ? readKey({ home: brokerHomes.get(this.port)! }).key : null;
      if (key !== null) this.authing = this.authenticate(key);
    } else if (typeof frame === "object" && frame !== null && ("action" in frame || "auth" in frame || "proof" in frame)) {
      this.auth = "done";
    }
    this.write(`${JSON.stringify(frame)}\n`);
  }

  /** hello with a nonce, then prove the key; a reply that is not for these goes back to the test. */
  private async authenticate(key: string): Promise<void> {
    const cn = newNonce();
    this.socket.write(`${JSON.stringify({ id: "raw-hello", op: "hello", nonce: cn })}\n`);
    const hello = await this.nextLine();
    if (hello === null) return;
    const h = JSON.parse(hello);
    if (h.id !== "raw-hello" || h.ok !== true) {
      this.buffer = `${hello}\n${this.buffer}`;
      this.scanned = 0;
      return;
    }
    this.socket.write(`${JSON.stringify({ id: "raw-prove", op: "prove", proof: clientProof(key, h.nonce, cn) })}\n`);
    const proved = await this.nextLine();
    if (proved !== null && JSON.parse(proved).id !== "raw-prove") {
      this.buffer = `${proved}\n${this.buffer}`;
      this.scanned = 0;
    }
  }

  /** The next line received, or null when the connection closed first. */
  private async nextLine(timeoutMs = 5_000): Promise<string | null> {
    await this.until(() => this.hasLine() || this.closed, timeoutMs);
    return this.takeLine();
  }

  /** Reads the next complete line as JSON. */
  async frame<T = any>(timeoutMs = 5_000): Promise<T> {
    if (this.authing !== null) await this.authing;
    await this.until(() => this.hasLine() || this.closed, timeoutMs);
    const line = this.takeLine();
    if (line === null) throw new Error(`connection closed; leftover: ${this.buffer.slice(0, 200)}`);
    return JSON.parse(line) as T;
  }

  /** Reads `n` frames. */
  async frames<T = any>(n: number, timeoutMs = 10_000): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.frame<T>(timeoutMs));
    return out;
  }

  /** Sends a request and reads one frame back, waiting at most `timeoutMs` (default 5 s) for it. */
  async call<T = any>(frame: unknown, timeoutMs?: number): Promise<T> {
    this.send(frame);
    return this.frame<T>(timeoutMs);
  }

  /** Everything received until the peer closes. */
  async readToClose(timeoutMs = 10_000): Promise<string> {
    if (this.authing !== null) await this.authing;
    await this.until(() => this.closed, timeoutMs);
    const all = this.buffer;
    this.buffer = "";
    this.scanned = 0;
    return all;
  }

  /** Half-closes: sends FIN, keeps reading (as `nc -N` or a script's `shutdown(SHUT_WR)` does). */
  shutdownWrite(): void {
    this.socket.shutdown();
  }

  close(): void {
    this.socket.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/** True for a v2 request (an object with an `op`) other than hello and prove, carrying no proof of its own. */
function needsAuth(frame: unknown): boolean {
  if (typeof frame !== "object" || frame === null || Array.isArray(frame)) return false;
  const f = frame as Record<string, unknown>;
  return typeof f.op === "string" && f.op !== "hello" && f.op !== "prove" && !("auth" in f);
}

/**
 * A connection registered as `name` (fails the test if registration is refused).
 * It registers as this test process's seat, so several connections of one name are one seat, not a NAME_TAKEN.
 */
export async function registered(port: number, name: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const r = await c.call({ id: 0, op: "register", name, seat: { host: "test", pid: process.pid } });
  if (r.ok !== true) throw new Error(`register ${name} failed: ${JSON.stringify(r)}`);
  return c;
}
