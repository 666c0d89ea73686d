/**
 * A joined machine's half of authenticating a connection to a remote broker
 * (docs/remote.md): TLS with the pinned certificate (checked by
 * BrokerClient.connect before any byte is sent) authenticates the broker; the
 * machine then proves its key by signing both nonces of `hello` and the
 * certificate fingerprint (`prove_machine`).
 */
import type { BrokerClient, Endpoint } from "../client/broker-client.ts";
import { newNonce } from "../protocol/auth.ts";
import { IpcError } from "../protocol/errors.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { machineChallenge, signChallenge } from "./machine-key.ts";
import type { Joined } from "./joined.ts";

/** The remote broker refused this machine (revoked, or it does not know the key): re-pairing is the fix. */
export class MachineRefused extends IpcError {
  constructor(message: string) {
    super("FORBIDDEN", message, 3);
  }
}

/** How long `hello` and `prove_machine` may take (ms): a network round trip, not loopback. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Proves `joined`'s machine key on `client` (connected to `e`, certificate already pinned).
 * @throws IpcError FORBIDDEN when the broker does not accept the machine (revoked, unknown), NO_BROKER when the connection drops.
 */
export async function proveMachine(client: BrokerClient, e: Extract<Endpoint, { kind: "tls" }>, joined: Joined): Promise<ResultOf<"hello">> {
  const cn = newNonce();
  const hello = await client.request("hello", { nonce: cn }, HANDSHAKE_TIMEOUT_MS);
  const signature = signChallenge(joined.private_key, machineChallenge(hello.nonce, cn, e.fingerprint));
  try {
    await client.request("prove_machine", { machine: joined.machine, signature }, HANDSHAKE_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof IpcError && err.code === "FORBIDDEN") {
      throw new MachineRefused(`${err.message} (broker ${e.host}:${e.port}, this IPC_HOME's remote.json)`);
    }
    throw err;
  }
  return hello;
}
