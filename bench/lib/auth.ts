/**
 * The bench's raw clients authenticate like ipc's own (docs/security.md):
 * `hello` with a client nonce, then `prove` the key of the broker's IPC_HOME.
 * startBroker records each broker's home by port; the echo server has none.
 * Legacy requests prove BENCH_SECRET, the shared secret bench brokers run with.
 */
import { readKey } from "../../src/home/key.ts";
import { clientProof, newNonce } from "../../src/protocol/auth.ts";

/** The shared secret bench brokers are started with (for the legacy workload). */
export const BENCH_SECRET = "ipc-bench-secret";

const homes = new Map<number, string>();

/** Records that the broker on `port` serves `home`. */
export function noteBrokerHome(port: number, home: string): void {
  homes.set(port, home);
}

/** The key of the broker on `port`, or null (not a broker started here: the echo server). */
export function brokerKey(port: number): string | null {
  const home = homes.get(port);
  return home === undefined ? null : readKey({ home }).key;
}

/** A hello frame with a fresh client nonce, and the prove frame to send once its answer (line) is in. */
export function handshake(key: string): { hello: string; prove: (answer: string) => string } {
  const nonce = newNonce();
  return {
    hello: `${JSON.stringify({ id: "auth", op: "hello", nonce })}\n`,
    prove: (answer) => `${JSON.stringify({ id: "auth", op: "prove", proof: clientProof(key, JSON.parse(answer).nonce, nonce) })}\n`,
  };
}
