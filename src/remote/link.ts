/**
 * The pairing link `ipc invite` prints and `ipc join` takes:
 * `ipc+tls://HOST:PORT#fp=SHA256:<base64url>&code=<base64url>` — the broker's
 * network address, its certificate fingerprint (pinned by the joining
 * machine) and a one-time code. Both secrets are in the fragment, so nothing
 * that logs URLs sees them.
 *
 * `&` splits a command line in every shell, and `#`, `[` `]` are glob
 * characters in zsh: the line `ipc invite` prints quotes the link
 * (`joinLine`), and `parseLink` names a code cut off at `&`.
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

/** `text` as one single-quoted word, the same in sh, bash, zsh and fish (a `'` inside becomes `'\''`). */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The line `ipc invite` prints: `ipc join '<link>'`, whole after a paste into bash, zsh or fish. */
export function joinLine(link: string): string {
  return `ipc join ${shellQuote(link)}`;
}

/**
 * Parses a pairing link (also without the `ipc join` in front).
 * @throws IpcError BAD_REQUEST (exit code 2) naming what is wrong.
 */
export function parseLink(text: string): PairingLink {
  // Quotes that reached us as part of the argument (a shell without '…' quoting, such as cmd.exe) are not part of the link.
  const bare = text.trim().replace(/^(['"])(.*)\1$/s, "$2");
  const m = /^ipc\+tls:\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/#\s[\]]+)):(\d{1,5})\/?#(.+)$/.exec(bare);
  if (!m) throw new IpcError("BAD_REQUEST", `not a pairing link: expected ipc+tls://HOST:PORT#fp=SHA256:…&code=… (from \`ipc invite\` on the broker's machine)`, 2);
  const params = new URLSearchParams(m[4]);
  const fingerprint = params.get("fp") ?? "";
  const code = params.get("code") ?? "";
  const port = Number(m[3]);
  if (!FINGERPRINT.test(fingerprint)) throw new IpcError("BAD_REQUEST", "the pairing link's fingerprint (fp=SHA256:…) is missing or malformed: copy the whole line", 2);
  if (!params.has("code") && !m[4]!.includes("&")) {
    // What a shell leaves of `ipc join ipc+tls://…#fp=…&code=…` typed without quotes: it ran the part before `&` on its own.
    throw new IpcError(
      "BAD_REQUEST",
      "the pairing link has no code: the part after & (&code=…) was cut off by the shell, which splits a line at an unquoted &. " +
        "Paste the line exactly as ipc invite printed it, with its single quotes, or put the link in quotes: ipc join 'ipc+tls://…#fp=…&code=…'",
      2,
    );
  }
  if (!CODE.test(code)) throw new IpcError("BAD_REQUEST", "the pairing link's code is missing or malformed: copy the whole line", 2);
  if (port < 1 || port > 65535) throw new IpcError("BAD_REQUEST", `the pairing link's port ${port} is not a port`, 2);
  return { host: (m[1] ?? m[2])!, port, fingerprint, code };
}
