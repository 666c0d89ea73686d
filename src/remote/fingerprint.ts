/** Certificate fingerprints as joined machines pin them: `SHA256:` + base64url (no padding) of SHA-256 over the DER bytes. */
export function fingerprintOf(der: Uint8Array): string {
  return `SHA256:${new Bun.CryptoHasher("sha256").update(der).digest("base64url")}`;
}
