/**
 * The bench's raw clients authenticate like ipc's own (docs/security.md,
 * docs/remote.md): on a broker's local port, `hello` with a client nonce,
 * then `prove` the key of the broker's IPC_HOME; on a TLS listener, as a
 * joined machine: `hello`, then `prove_machine` with a signature over both
 * nonces and the certificate fingerprint (src/remote/authenticate.ts).
 * startBroker records each broker's home by port, joinMachine each TLS
 * port's pairing; the echo server has neither. Legacy requests prove
 * BENCH_SECRET, the shared secret bench brokers run with.
 */
import type { Socket, SocketHandler } from "bun";
import { readKey } from "../../src/home/key.ts";
import { clientProof, newNonce } from "../../src/protocol/auth.ts";
import type { Joined } from "../../src/remote/joined.ts";
import { machineChallenge, signChallenge } from "../../src/remote/machine-key.ts";

/** The shared secret bench brokers are started with (for the legacy workload). */
export const BENCH_SECRET = "ipc-bench-secret";

const homes = new Map<number, string>();
const machines = new Map<number, Joined>();

/** Records that the broker on `port` serves `home`. */
export function noteBrokerHome(port: number, home: string): void {
  homes.set(port, home);
}

/**
 * Does the broker on `port` authenticate connections (answers `hello` with a
 * nonce)? Builds from before the key handshake (an older --baseline) answer
 * it with an error; their connections then skip it. Gives up after 5 s.
 */
export async function speaksHello(port: number): Promise<boolean> {
  let answered!: (line: string) => void;
  const line = new Promise<string>((r) => (answered = r));
  let text = "";
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        text += chunk.toString();
        const nl = text.indexOf("\n");
        if (nl !== -1) answered(text.slice(0, nl));
      },
      close: () => answered(""),
    },
  });
  s.write(`${JSON.stringify({ id: "auth", op: "hello", nonce: newNonce() })}\n`);
  const timeout = Bun.sleep(5_000).then(() => "");
  const first = await Promise.race([line, timeout]);
  s.end();
  try {
    const answer = JSON.parse(first) as { ok?: boolean; nonce?: unknown };
    return answer.ok === true && typeof answer.nonce === "string";
  } catch {
    return false;
  }
}

/** Records that `port` is a TLS listener this bench joined as `joined` (remote.json of a joined IPC_HOME). */
export function noteMachine(port: number, joined: Joined): void {
  machines.set(port, joined);
}

/** The key of the broker on `port`, or null (not a broker started here: the echo server). */
export function brokerKey(port: number): string | null {
  const home = homes.get(port);
  return home === undefined ? null : readKey({ home }).key;
}

/** A hello frame with a fresh client nonce, and the proof frame to send once its answer (line) is in. */
export interface Handshake {
  hello: string;
  prove: (answer: string) => string;
}

/** The key handshake: hello, then prove (HMAC of both nonces with the broker's key). */
export function handshake(key: string): Handshake {
  const nonce = newNonce();
  return {
    hello: `${JSON.stringify({ id: "auth", op: "hello", nonce })}\n`,
    prove: (answer) => `${JSON.stringify({ id: "auth", op: "prove", proof: clientProof(key, JSON.parse(answer).nonce, nonce) })}\n`,
  };
}

/** The joined machine's handshake: hello, then prove_machine (ECDSA over both nonces and the pinned fingerprint). */
function machineHandshake(j: Joined): Handshake {
  const nonce = newNonce();
  return {
    hello: `${JSON.stringify({ id: "auth", op: "hello", nonce })}\n`,
    prove: (answer) => {
      const signature = signChallenge(j.private_key, machineChallenge(JSON.parse(answer).nonce, nonce, j.fingerprint));
      return `${JSON.stringify({ id: "auth", op: "prove_machine", machine: j.machine, signature })}\n`;
    },
  };
}

/** How a connection to `port` authenticates, or null (the echo server: nothing to prove). */
export function handshakeFor(port: number): Handshake | null {
  const j = machines.get(port);
  if (j !== undefined) return machineHandshake(j);
  const key = brokerKey(port);
  return key === null ? null : handshake(key);
}

/**
 * Connects to `host`:`port`; to a TLS listener noted by noteMachine, with TLS,
 * resolving once its handshake is done (the certificate is the one pinned at join,
 * on loopback: not checked again here).
 */
export async function connect(host: string, port: number, socket: SocketHandler<undefined>): Promise<Socket<undefined>> {
  if (!machines.has(port)) return Bun.connect({ hostname: host, port, socket });
  let ready!: () => void;
  let failed!: (e: Error) => void;
  const handshaken = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
  const s = await Bun.connect({
    hostname: host,
    port,
    tls: { rejectUnauthorized: false },
    socket: {
      ...socket,
      // The certificate is self-signed (pinned by fingerprint at join), so "unauthorized" is expected here.
      handshake: () => ready(),
      close: (s, err) => {
        failed(new Error(`the TLS connection to ${host}:${port} closed${err ? `: ${err.message}` : ""}`));
        socket.close?.(s, err);
      },
    },
  });
  await handshaken;
  return s;
}
