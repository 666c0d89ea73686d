/**
 * A raw TCP client for protocol tests: writes bytes exactly as given and
 * reads frames (NDJSON) or everything until close (legacy).
 */
export class RawClient implements AsyncDisposable {
  private buffer = "";
  private readonly utf8 = new TextDecoder();
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: import("bun").Socket<undefined>) {}

  static async connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
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
    client = new RawClient(socket);
    return client;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
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

  /** Writes raw bytes or text, no newline added. */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Writes one NDJSON frame. */
  send(frame: unknown): void {
    this.socket.write(`${JSON.stringify(frame)}\n`);
  }

  /** Reads the next complete line as JSON. */
  async frame<T = any>(timeoutMs = 5_000): Promise<T> {
    await this.until(() => this.buffer.includes("\n") || this.closed, timeoutMs);
    const nl = this.buffer.indexOf("\n");
    if (nl === -1) throw new Error(`connection closed; leftover: ${this.buffer.slice(0, 200)}`);
    const line = this.buffer.slice(0, nl);
    this.buffer = this.buffer.slice(nl + 1);
    return JSON.parse(line) as T;
  }

  /** Reads `n` frames. */
  async frames<T = any>(n: number, timeoutMs = 10_000): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.frame<T>(timeoutMs));
    return out;
  }

  /** Sends a request and reads one frame back. */
  async call<T = any>(frame: unknown): Promise<T> {
    this.send(frame);
    return this.frame<T>();
  }

  /** Everything received until the peer closes. */
  async readToClose(timeoutMs = 10_000): Promise<string> {
    await this.until(() => this.closed, timeoutMs);
    const all = this.buffer;
    this.buffer = "";
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
