/**
 * The broker's TLS identity for network listeners (`--listen`): a self-signed
 * ECDSA P-256 certificate and its private key, made on first use with
 * @peculiar/x509 over WebCrypto (no openssl subprocess) and kept in
 * `$IPC_HOME/tls/` (key 0600). Joined machines pin the certificate's
 * SHA-256 fingerprint (of the DER bytes), so no CA is involved: a fingerprint
 * that does not match is refused. Loaded only when the broker listens on the network.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { paths } from "../config.ts";
import { writePrivate } from "../home/files.ts";
import { IpcError } from "../protocol/errors.ts";
import { fingerprintOf } from "./fingerprint.ts";

/** A certificate and key in PEM, and the fingerprint clients pin. */
export interface TlsIdentity {
  cert: string;
  key: string;
  /** `SHA256:` + base64url (no padding) of SHA-256 over the certificate's DER bytes. */
  fingerprint: string;
}

/** How long a made certificate is valid (days); a new one means re-pairing every machine. */
const VALIDITY_DAYS = 3650;

/** PEM text of DER bytes under `label` (RFC 7468). */
function pem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER bytes of the first PEM block in `text`. */
function derOf(text: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  if (!m) throw new Error("no PEM certificate");
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
}

/** Makes a new self-signed certificate (CN = this host's name) and key. */
async function create(commonName: string): Promise<{ cert: string; key: string }> {
  await import("reflect-metadata"); // @peculiar/x509's dependency injection needs the Reflect metadata API
  const x509 = await import("@peculiar/x509");
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1"),
    name: `CN=${commonName.replace(/[,=+<>#;\\"]/g, "-")}, O=ipc broker`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + VALIDITY_DAYS * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return { cert: cert.toString("pem"), key: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}

/**
 * The broker's TLS identity: read from `$IPC_HOME/tls/`, or made there on first use.
 * @throws IpcError INTERNAL when the files exist but cannot be read (naming the fix).
 */
export async function ensureTlsIdentity(c: { home: string }, commonName: string): Promise<TlsIdentity> {
  const certPath = paths.tlsCert(c);
  const keyPath = paths.tlsKey(c);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const made = await create(commonName);
    writePrivate(keyPath, made.key);
    writePrivate(certPath, made.cert);
  }
  try {
    const cert = readFileSync(certPath, "utf8");
    const key = readFileSync(keyPath, "utf8");
    return { cert, key, fingerprint: fingerprintOf(derOf(cert)) };
  } catch (err) {
    throw new IpcError(
      "INTERNAL",
      `cannot read the broker's TLS certificate in ${dirname(certPath)} (${(err as Error).message}): remove that folder to make a new one (every joined machine must then join again)`,
    );
  }
}
