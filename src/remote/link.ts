/**
 * The pairing link `ipc invite` prints and `ipc join` takes:
 * `ipc+tls://HOST:PORT#fp=SHA256:<base64url>&code=<base64url>` — the broker's
 * network address, its certificate fingerprint (pinned by the joining
 * machine) and a one-time code. Both secrets are in the fragment, so nothing
 * that logs URLs sees them.
 */
import { IpcError } from "../protocol/errors.ts";

/** What a pairing link carries. */
export interface PairingLink {
  host: string;
  port: number;
  fingerprint: string;
  code: string;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9_-]{43}$/;
const CODE = /^[A-Za-z0-9_-]{16,128}$/;

/** `host` as it appears in a URL: IPv6 in brackets. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The link text. */
export function formatLink(l: PairingLink): string {
  return `ipc+tls://${urlHost(l.host)}:${l.port}#fp=${l.fingerprint}&code=${l.code}`;
}

/**
 * Parses a pairing link (also without the `ipc join` in front).
 * @throws IpcError BAD_REQUEST (exit code 2) naming what is wrong.
 */
export function parseLink(text: string): PairingLink {
  const m = /^ipc\+tls:\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/#\s[\]]+)):(\d{1,5})\/?#(.+)$/.exec(text.trim());
  if (!m) throw new IpcError("BAD_REQUEST", `not a pairing link: expected ipc+tls://HOST:PORT#fp=SHA256:…&code=… (from \`ipc invite\` on the broker's machine)`, 2);
  const params = new URLSearchParams(m[4]);
  const fingerprint = params.get("fp") ?? "";
  const code = params.get("code") ?? "";
  const port = Number(m[3]);
  if (!FINGERPRINT.test(fingerprint)) throw new IpcError("BAD_REQUEST", "the pairing link's fingerprint (fp=SHA256:…) is missing or malformed: copy the whole line", 2);
  if (!CODE.test(code)) throw new IpcError("BAD_REQUEST", "the pairing link's code is missing or malformed: copy the whole line", 2);
  if (port < 1 || port > 65535) throw new IpcError("BAD_REQUEST", `the pairing link's port ${port} is not a port`, 2);
  return { host: (m[1] ?? m[2])!, port, fingerprint, code };
}
