/**
 * Secrets and tokens: session token generation and hashing, the v2 HMAC proofs
 * (per-request proofs, and the broker/client proofs of a connection), the
 * legacy static proof, constant-time comparison.
 */
import { timingSafeEqual } from "node:crypto";
import { resolve } from "node:path";

/** A fresh session token: 256 random bits, base64url (43 characters). */
export function newToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** A fresh single-use challenge for `hello`: 128 random bits, hex. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}

/** What the broker stores of a session token: hex SHA-256. */
export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

/**
 * What a proof for an op other than register signs. The `:` keeps them apart
 * from every name (a register proof signs the name), so a proof for
 * registering a name such as "shutdown" can never stop the broker.
 */
export const PROOF_SUBJECTS = { shutdown: "op:shutdown", verify: "op:verify" } as const;

/**
 * Replay-safe proof of the shared secret (protocol v2):
 * hex HMAC-SHA256(key = secret, message = nonce ‖ subject), where `nonce` is the
 * hex string from `hello` and `subject` the lower-case name, or one of PROOF_SUBJECTS.
 */
export function hmacProof(secret: string, nonce: string, subject: string): string {
  return new Bun.CryptoHasher("sha256", secret).update(nonce + subject).digest("hex");
}

/**
 * What the broker proves in `hello` (this project's own scheme, docs/security.md):
 * hex HMAC-SHA256(key, "ipc-broker\n" ‖ client nonce ‖ "\n" ‖ server nonce ‖ "\n" ‖ binding),
 * `key` being the per-home key or the shared secret. `binding` names the
 * listener the client dialled ("tcp:<port>" or "unix:<absolute path>"), so a
 * relay that forwards the exchange from another listener does not verify.
 */
export function brokerProof(key: string, clientNonce: string, serverNonce: string, binding: string): string {
  return new Bun.CryptoHasher("sha256", key).update(`ipc-broker\n${clientNonce}\n${serverNonce}\n${binding}`).digest("hex");
}

/**
 * What a client proves with `prove`: hex HMAC-SHA256(key, "ipc-client\n" ‖ server nonce ‖ "\n" ‖ client nonce).
 * The prefix keeps it apart from broker proofs (no reflection) and from the
 * name-signing proofs above (those start with a hex nonce).
 */
export function clientProof(key: string, serverNonce: string, clientNonce: string): string {
  return new Bun.CryptoHasher("sha256", key).update(`ipc-client\n${serverNonce}\n${clientNonce}`).digest("hex");
}

/** The binding signed by brokerProof for a TCP port or a Unix socket path (made absolute). */
export function listenerBinding(e: { kind: "tcp"; port: number } | { kind: "unix"; path: string }): string {
  return e.kind === "tcp" ? `tcp:${e.port}` : `unix:${resolve(e.path)}`;
}

/** The legacy project's static proof: hex SHA-256 of `"<name>:<secret>"` (legacy connections only). */
export function legacyProof(name: string, secret: string): string {
  return new Bun.CryptoHasher("sha256").update(`${name}:${secret}`).digest("hex");
}

/** Compares two strings in time that depends only on their lengths. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
