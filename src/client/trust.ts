/**
 * A client authenticates the broker before it sends a name, a token or a
 * message (docs/security.md): over TCP on Linux the listening socket must
 * belong to this OS user; the broker must prove, over a fresh client nonce, that
 * it holds this IPC_HOME's key (or, when IPC_SHARED_SECRET is set here, that
 * secret); then the client proves the same key or secret so the broker serves it.
 * A failure is an UntrustedBroker error, never a fallback.
 */
import { statSync } from "node:fs";
import type { Config } from "../config.ts";
import { readKey } from "../home/key.ts";
import { describeOwner, listenersFor, portOwner, userName } from "../net/port-owner.ts";
import { brokerProof, clientProof, listenerBinding, newNonce, safeEqual } from "../protocol/auth.ts";
import { EXIT, IpcError } from "../protocol/errors.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { type BrokerClient, describeEndpoint, type Endpoint } from "./broker-client.ts";

/** How this client trusts the broker: it proved the key, the shared secret, or nothing (client in open mode). */
export type Trust = "key" | "secret" | "open" | "machine";

/** The broker at an endpoint failed authentication: nothing was sent to it beyond `hello`. */
export class UntrustedBroker extends IpcError {
  override name = "UntrustedBroker";
  constructor(message: string) {
    super("FORBIDDEN", message, EXIT.noBroker);
  }
}

/** How long `hello` may take (ms). */
const HELLO_TIMEOUT_MS = 3_000;

/**
 * Authenticates the broker on `client` and then this client to it.
 * @returns the broker's `hello` and how it was trusted.
 * @throws UntrustedBroker when the broker is not this IPC_HOME's (foreign uid, missing or wrong proof).
 * @throws IpcError NO_BROKER when the connection closes meanwhile.
 */
export async function authenticateBroker(client: BrokerClient, e: Endpoint, config: Config): Promise<{ hello: ResultOf<"hello">; trust: Trust }> {
  if (e.kind === "tls") {
    // A remote broker (ipc join): its certificate is pinned; this machine proves its own key.
    const [{ readJoined }, { proveMachine }] = await Promise.all([import("../remote/joined.ts"), import("../remote/authenticate.ts")]);
    const joined = readJoined(config);
    if (joined === null) throw new UntrustedBroker(`no pairing for ${describeEndpoint(e)} in ${config.home}: run ipc join <link from ipc invite>`);
    return { hello: await proveMachine(client, e, joined), trust: "machine" };
  }
  const secret = config.secret;
  // The listener of another user is refused before anything is sent (a shared secret is meant to cross users).
  if (secret === null && !config.open) {
    if (e.kind === "tcp") checkListenerUid(e, client.remoteAddress);
    else checkSocketUid(e);
  }
  const cn = newNonce();
  const hello = await client.request("hello", { nonce: cn }, HELLO_TIMEOUT_MS);
  const binding = listenerBinding(e);
  let key: string;
  if (secret !== null) {
    if (hello.secret_proof === undefined || !safeEqual(hello.secret_proof, brokerProof(secret, cn, hello.nonce, binding))) {
      throw untrusted(e, "did not prove IPC_SHARED_SECRET: IPC_SHARED_SECRET here differs from the broker's secret (or it has none, or it is not an ipc broker)", "set the same IPC_SHARED_SECRET on both sides (ipc doctor, here and where the broker was started, shows which differs)");
    }
    key = secret;
  } else {
    const k = readKey(config);
    const proved = k.key !== null && hello.proof !== undefined && safeEqual(hello.proof, brokerProof(k.key, cn, hello.nonce, binding));
    if (!proved) {
      if (config.open && hello.open === true) return { hello, trust: "open" };
      const why = k.key === null ? `this client cannot check it: ${k.why}` : "it did not prove this IPC_HOME's key";
      // An ipc broker from before keys (it sends no proof at all) may be this home's own, still running after an upgrade.
      const older = hello.proof === undefined ? `; if it is your own broker from an older ipc (it says ${hello.version}), restart it: ipc stop && ipc serve --detach` : "";
      throw untrusted(e, `is not this IPC_HOME's broker (${config.home}): ${why}${older}`, null);
    }
    key = k.key;
  }
  await client.request("prove", { proof: clientProof(key, hello.nonce, cn) }, HELLO_TIMEOUT_MS);
  return { hello, trust: secret !== null ? "secret" : "key" };
}

/** Refuses a TCP listener owned by another user (Linux; elsewhere nothing is known and the key proof decides). */
function checkListenerUid(e: Extract<Endpoint, { kind: "tcp" }>, address: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const foreign = listenersFor(e.port, address).find((l) => l.uid !== uid);
  if (foreign === undefined) return;
  throw untrusted(e, `belongs to another user (${userName(foreign.uid) ?? foreign.uid}, uid ${foreign.uid}), not to ${userName(uid) ?? uid} (uid ${uid})`, null);
}

/** Refuses a Unix socket file owned by another user (IPC_SOCKET may point outside the private IPC_HOME). */
function checkSocketUid(e: Extract<Endpoint, { kind: "unix" }>): void {
  const uid = process.getuid?.();
  const owner = socketOwner(e.path);
  if (uid === undefined || owner === null || owner === uid) return;
  throw untrusted(e, `belongs to another user (${userName(owner) ?? owner}, uid ${owner})`, null);
}

/** The uid owning the file at `path`, or null. */
function socketOwner(path: string): number | null {
  try {
    return statSync(path).uid;
  } catch {
    return null;
  }
}

/** The error for an endpoint that failed authentication: who holds it, and the fix. */
export function untrusted(e: Endpoint, why: string, fix: string | null): UntrustedBroker {
  const uid = e.kind === "unix" ? socketOwner(e.path) : null;
  const who = e.kind === "tcp" ? describeOwner(portOwner(e.port)) : uid === null ? "an unknown program" : `a program of user ${userName(uid) ?? uid} (uid ${uid})`;
  const fixes = [
    fix,
    e.kind === "tcp"
      ? `if that program is not yours to stop, use another port on both sides: export IPC_PORT=<free port>`
      : "remove the socket or choose another IPC_SOCKET",
  ].filter(Boolean);
  const fixText = fixes.join("; ");
  return new UntrustedBroker(
    `refusing the broker at ${describeEndpoint(e)}, held by ${who}: it ${why}. Nothing was sent to it (no name, token or message). ${fixText[0]!.toUpperCase()}${fixText.slice(1)}`,
  );
}
