/**
 * A joined machine's credential: an ECDSA P-256 key pair made by `ipc join`.
 * The private key stays on that machine (`$IPC_HOME/remote.json`, 0600); the
 * broker stores only the public key, so its database lets nobody connect as
 * the machine. Each connection proves the key by signing a challenge bound
 * to both nonces of its `hello` and to the pinned certificate (no bearer
 * secret on the wire, no replay: the broker's nonce is fresh per connection).
 * Signatures are DER-encoded ECDSA with SHA-256 (node:crypto).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";

/** A new key pair: PKCS#8 private key PEM, SPKI public key PEM. */
export function newMachineKey(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** What a machine signs on one connection: protocol label, broker nonce, client nonce, certificate fingerprint. */
export function machineChallenge(serverNonce: string, clientNonce: string, fingerprint: string): Buffer {
  return Buffer.from(`ipc machine proof v1\n${serverNonce}\n${clientNonce}\n${fingerprint}`);
}

/** Signs `challenge` with the machine's private key (PEM); base64 DER signature. */
export function signChallenge(privateKeyPem: string, challenge: Buffer): string {
  return sign("sha256", challenge, createPrivateKey(privateKeyPem)).toString("base64");
}

/** True when `signature` (base64) is `publicKeyPem`'s signature of `challenge`. Never throws. */
export function verifyChallenge(publicKeyPem: string, challenge: Buffer, signature: string): boolean {
  try {
    return verify("sha256", challenge, createPublicKey(publicKeyPem), Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** True when `pem` is an EC P-256 public key in SPKI PEM. */
export function isMachinePublicKey(pem: string): boolean {
  try {
    const k = createPublicKey(pem);
    return k.asymmetricKeyType === "ec" && k.asymmetricKeyDetails?.namedCurve === "prime256v1";
  } catch {
    return false;
  }
}
