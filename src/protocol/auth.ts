/**
 * Secrets and tokens: session token generation and hashing, the v2 HMAC proof
 * of the shared secret, the legacy static proof, constant-time comparison.
 */
import { timingSafeEqual } from "node:crypto";

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
