/**
 * A minimal line-oriented connection for latency loops: write a frame, await
 * the next line. Used where each request must be timed on its own (push,
 * check with waiting messages) and by the legacy workload (read to close).
 */
import type { Socket } from "bun";
import { connect, handshakeFor } from "./auth.ts";

export class Lines {
  private buffer = "";
  private waiting: Array<(line: string) => void> = [];
  private lines: string[] = [];

  private constructor(private socket: Socket<undefined>) {}

  /** Connects (TLS to a joined listener); to a broker started by the bench, authenticates first (bench/lib/auth.ts). */
  static async open(port: number): Promise<Lines> {
    let self!: Lines;
    const socket = await connect("127.0.0.1", port, {
      data(_s, chunk) {
        self.buffer += chunk.toString();
        let nl = self.buffer.indexOf("\n");
        while (nl !== -1) {
          const line = self.buffer.slice(0, nl);
          self.buffer = self.buffer.slice(nl + 1);
          const w = self.waiting.shift();
          if (w) w(line);
          else self.lines.push(line);
          nl = self.buffer.indexOf("\n");
        }
      },
    });
    self = new Lines(socket);
    const auth = handshakeFor(port);
    if (auth !== null) {
      self.write(auth.hello);
      self.write(auth.prove(await self.next()));
      const proved = JSON.parse(await self.next());
      if (proved.ok !== true) throw new Error(`the bench client could not authenticate: ${JSON.stringify(proved)}`);
    }
    return self;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next line (already received or still to come). */
  next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => this.waiting.push(r));
  }

  /** Writes one frame and returns its answer, parsed. */
  async call(frame: object): Promise<any> {
    this.write(`${JSON.stringify(frame)}\n`);
    return JSON.parse(await this.next());
  }

  close(): void {
    this.socket.end();
  }
}

/** One legacy request: connect, write the object (no newline), read until the broker closes. */
export function legacyRequest(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(body);
        },
        data(_s, chunk) {
          text += chunk.toString();
        },
        close() {
          resolve(text);
        },
        error(_s, e) {
          reject(e);
        },
      },
    }).catch(reject);
  });
}
