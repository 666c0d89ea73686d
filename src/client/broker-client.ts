/**
 * A v2 protocol connection to a broker (docs/design.md#5-protocol-v2): NDJSON frames,
 * request ids, pipelining (any number of requests in flight), push events.
 */
import type { Socket } from "bun";
import * as v from "valibot";
import { ErrorBody, EXIT, IpcError } from "../protocol/errors.ts";
import { fingerprintOf } from "../remote/fingerprint.ts";
import { Message } from "../protocol/message.ts";
import { FrameDecoder, type FrameSink } from "../protocol/ndjson.ts";
import type { Op, Params } from "../protocol/requests.ts";
import { RESULTS, type ResultOf } from "../protocol/responses.ts";
import { WriteQueue } from "../protocol/write-queue.ts";

/**
 * Where a broker listens: loopback TCP, the Unix socket, or a remote broker's
 * TLS listener whose certificate must have SHA-256 fingerprint `fingerprint` (`ipc join`).
 */
export type Endpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string }
  | { kind: "tls"; host: string; port: number; fingerprint: string };

/** Human form of an endpoint. */
export function describeEndpoint(e: Endpoint): string {
  if (e.kind === "unix") return e.path;
  const host = e.host.includes(":") ? `[${e.host}]` : e.host;
  return e.kind === "tls" ? `${host}:${e.port} (TLS)` : `${host}:${e.port}`;
}

/** A plain connection reached a TLS listener (a broker's `--listen` port): pairing is the way in. */
export class TlsListenerError extends IpcError {
  constructor(endpoint: Endpoint) {
    super(
      "NO_BROKER",
      `${describeEndpoint(endpoint)} answers with TLS: it is an ipc broker's network listener (ipc serve --listen), which refuses plain connections. ` +
        "Pair this machine with that broker instead: ipc join <the line ipc invite prints on the broker's machine>",
    );
  }
}

/** True when `chunk` starts a TLS record (alert or handshake, version 3.x): what a TLS server answers to plain text. */
function isTlsRecord(chunk: Buffer): boolean {
  return chunk.length >= 2 && (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03;
}

/** The pinned certificate did not match: another server, or a broker whose certificate changed. */
export class FingerprintMismatch extends IpcError {
  constructor(endpoint: Extract<Endpoint, { kind: "tls" }>, got: string) {
    super(
      "FORBIDDEN",
      `refusing ${describeEndpoint(endpoint)}: its certificate is ${got}, not ${endpoint.fingerprint} as pinned when this machine joined. ` +
        "Another server answers there, or the broker's certificate was replaced. Nothing was sent. If the broker's owner made a new certificate, re-pair: ipc leave, then ipc join <new link from ipc invite>",
      EXIT.noBroker,
    );
  }
}

interface Pending {
  op: Op;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Default time a request may take before it fails (ms); a `check` adds its wait. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** Largest frame the client accepts from a broker (bytes): replies can exceed request limits. */
const MAX_REPLY_BYTES = 512 * 1024 * 1024;

export class BrokerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder(MAX_REPLY_BYTES);
  private readonly out: WriteQueue;
  private closedError: IpcError | null = null;
  /** Called with each message pushed to a subscribed connection; `lease`: it is leased to this deliverer (answer with ack). */
  onMessage: ((m: Message, lease: boolean) => void) | null = null;
  /** Called once when the connection closes, for whatever reason. */
  onClose: ((err: IpcError) => void) | null = null;
  /** True once the broker sent anything (a first chunk is checked for a TLS record). */
  private seenData = false;
  /** Largest request frame (bytes) the broker takes (IPC_MAX_FRAME_BYTES); larger ones fail here, before sending. */
  maxFrameBytes = 4 * 1024 * 1024;

  private constructor(
    private readonly socket: Socket<BrokerClient>,
    readonly endpoint: Endpoint,
  ) {
    this.out = new WriteQueue(socket);
  }

  /**
   * Connects to `endpoint`.
   * @throws IpcError NO_BROKER when nothing listens there (or within `timeoutMs`).
   */
  static async connect(endpoint: Endpoint, timeoutMs = 2_000): Promise<BrokerClient> {
    let client!: BrokerClient;
    const sink: FrameSink = {
      frame: (text) => client.onFrame(text),
      invalid: () => client.fail(new IpcError("INTERNAL", "the broker sent a frame that is not UTF-8")),
    };
    const handlers = {
      open(socket: Socket<BrokerClient>) {
        client = new BrokerClient(socket, endpoint);
        socket.data = client;
      },
      data(socket: Socket<BrokerClient>, chunk: Buffer) {
        if (endpoint.kind !== "tls" && !socket.data.seenData && isTlsRecord(chunk)) {
          socket.data.fail(new TlsListenerError(endpoint));
          socket.end();
          return;
        }
        socket.data.seenData = true;
        try {
          socket.data.decoder.push(chunk, sink);
        } catch (err) {
          socket.data.fail(new IpcError("INTERNAL", `bad frame from broker: ${(err as Error).message}`));
          socket.end();
        }
      },
      drain(socket: Socket<BrokerClient>) {
        socket.data.out.drain();
      },
      close(socket: Socket<BrokerClient>) {
        socket.data?.fail(new IpcError("NO_BROKER", `the broker at ${describeEndpoint(endpoint)} closed the connection`));
      },
      error(socket: Socket<BrokerClient>, err: Error) {
        socket.data?.fail(new IpcError("NO_BROKER", `connection to ${describeEndpoint(endpoint)} failed: ${err.message}`));
      },
    };
    // TLS: the certificate is self-signed, so it is checked here against the pinned fingerprint, before any byte is sent.
    let pinned: Promise<void> = Promise.resolve();
    let connecting: Promise<Socket<BrokerClient>>;
    if (endpoint.kind === "tls") {
      let settle!: (err: IpcError | null) => void;
      pinned = new Promise<void>((resolve, reject) => {
        settle = (err) => (err === null ? resolve() : reject(err));
      });
      const tlsHandlers = {
        ...handlers,
        handshake(socket: Socket<BrokerClient>, _ok: boolean, err: Error | null) {
          const raw = (socket as unknown as { getPeerCertificate(): { raw?: Uint8Array } | undefined }).getPeerCertificate()?.raw;
          if (raw === undefined) {
            // No certificate: the handshake never got that far (a broker still starting or stopping, a dropped
            // connection). That proves no other server is there, so it is a failed connection, retried as one.
            const cut = new IpcError("NO_BROKER", `the TLS handshake with ${describeEndpoint(endpoint)} did not finish${err ? ` (${err.message})` : ""}`);
            socket.data?.fail(cut);
            socket.end();
            return settle(cut);
          }
          const got = fingerprintOf(raw);
          if (got === endpoint.fingerprint) return settle(null);
          socket.data?.fail(new FingerprintMismatch(endpoint, got));
          socket.end();
          settle(new FingerprintMismatch(endpoint, got));
        },
        close(socket: Socket<BrokerClient>) {
          handlers.close(socket);
          settle(new IpcError("NO_BROKER", `${describeEndpoint(endpoint)} closed the connection during the TLS handshake (is it an ipc broker's --listen port?)`));
        },
      };
      connecting = Bun.connect<BrokerClient>({ hostname: endpoint.host, port: endpoint.port, tls: { rejectUnauthorized: false }, socket: tlsHandlers });
    } else {
      connecting =
        endpoint.kind === "tcp"
          ? Bun.connect<BrokerClient>({ hostname: endpoint.host, port: endpoint.port, socket: handlers })
          : Bun.connect<BrokerClient>({ unix: endpoint.path, socket: handlers });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
    });
    try {
      await Promise.race([connecting.then(() => pinned), timeout]);
    } catch (err) {
      connecting.then((s) => s.end()).catch(() => {});
      if (err instanceof FingerprintMismatch) throw err;
      throw new IpcError("NO_BROKER", `no broker at ${describeEndpoint(endpoint)} (${(err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** The address this connection reached (TCP: the broker's IP, e.g. "127.0.0.1"; Unix socket: ""). */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? "";
  }

  /** True until the connection closes. */
  get isOpen(): boolean {
    return this.closedError === null;
  }

  /**
   * Sends one request and resolves with its result, validated against the op's schema.
   * Requests may be issued without awaiting earlier ones (pipelining).
   * @throws IpcError with the broker's error code, or NO_BROKER if the connection is lost.
   */
  request<O extends Op>(op: O, params: Params<O> & { token?: string }, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ResultOf<O>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<ResultOf<O>>((resolve, reject) => {
      const p: Pending = { op, resolve: resolve as (r: unknown) => void, reject, timer: undefined };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new IpcError("INTERNAL", `the broker did not answer ${op} within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
      }
      const frame = `${JSON.stringify({ id, op, ...params })}\n`;
      if (frame.length * 3 > this.maxFrameBytes && Buffer.byteLength(frame) > this.maxFrameBytes) {
        if (p.timer) clearTimeout(p.timer);
        reject(
          new IpcError(
            "TOO_LARGE",
            `the ${op} request is ${Buffer.byteLength(frame)} bytes once encoded as JSON, over the broker's ${this.maxFrameBytes}-byte frame limit (IPC_MAX_FRAME_BYTES); content is limited to IPC_MAX_CONTENT_BYTES (1 MiB by default), and control characters take 6 bytes each: share a file path instead`,
          ),
        );
        return;
      }
      this.pending.set(id, p);
      this.out.write(frame);
    });
  }

  /** Closes the connection; pending requests fail. */
  close(): void {
    this.socket.end();
    this.fail(new IpcError("NO_BROKER", "connection closed"));
  }

  /** Lets the process exit while this connection is open (for background subscriptions). */
  unref(): void {
    this.socket.unref();
  }

  private onFrame(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text);
    } catch {
      this.fail(new IpcError("INTERNAL", "the broker sent a frame that is not JSON: is this port used by another program?"));
      this.socket.end();
      return;
    }
    if (frame.event === "message") {
      const m = v.safeParse(Message, frame.message);
      if (m.success) this.onMessage?.(m.output, frame.lease === true);
      return;
    }
    if (frame.ok === false && (frame.id === null || frame.id === undefined)) {
      // A connection-level refusal (too many connections, over-size frame): nothing more will come.
      const e = v.safeParse(ErrorBody, frame.error);
      this.fail(e.success ? IpcError.fromBody(e.output) : new IpcError("INTERNAL", "malformed error from the broker"));
      return;
    }
    const p = typeof frame.id === "number" ? this.pending.get(frame.id) : undefined;
    if (p === undefined) return;
    this.pending.delete(frame.id as number);
    clearTimeout(p.timer);
    if (frame.ok === true) {
      const r = v.safeParse(RESULTS[p.op], frame);
      if (r.success) p.resolve(r.output);
      else p.reject(new IpcError("INTERNAL", `unexpected ${p.op} answer from the broker: ${r.issues[0].message}`));
    } else {
      const e = v.safeParse(ErrorBody, frame.error);
      p.reject(e.success ? IpcError.fromBody(e.output) : new IpcError("INTERNAL", "malformed error from the broker"));
    }
  }

  private fail(err: IpcError): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.onClose?.(err);
  }
}
