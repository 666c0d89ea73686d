/**
 * Who may use the dashboard, checked on every request: the `Host` header must
 * name our loopback address (against DNS rebinding), an `Origin` (always
 * required on writes and WebSocket upgrades) must be our own, and everything
 * but the static page needs a session.
 *
 * A session is a secret the page keeps in `sessionStorage` (per origin, so per
 * port) and sends itself: in the `X-Ipc-Session` header, and on the WebSocket
 * handshake as the subprotocol `ipc-session.<secret>` next to `ipc`. It is
 * never a cookie: cookies are not scoped by port, so a browser sends them to
 * every other web server on 127.0.0.1 (issue 22, hole 1). A session is only
 * ever got by redeeming a one-time login code from `ipc ui`, which only the
 * broker's owner can ask for. Codes are kept by their SHA-256 (looked up in
 * O(1)); failed logins are throttled for everyone together. Codes and sessions
 * live in memory: a broker restart logs everyone out.
 */
import { RateBucket } from "../broker/state/rate-limit.ts";
import { hashToken, newToken } from "../protocol/auth.ts";

/** How long a login code from `ipc ui` may be redeemed (s). */
export const LOGIN_CODE_TTL_S = 300;
/** How long a dashboard session lasts without use (ms). */
const SESSION_IDLE_MS = 12 * 3_600_000;
/** The header the page sends its session in. */
export const SESSION_HEADER = "x-ipc-session";
/** The WebSocket subprotocol the dashboard speaks (the server answers with it). */
export const WS_PROTOCOL = "ipc";
/** Prefix of the WebSocket subprotocol entry that carries the session. */
export const WS_SESSION_PREFIX = "ipc-session.";
/** The cookie earlier versions used: cleared at login, never read. */
export const OLD_COOKIE = "ipc_ui";
/** Failed logins allowed at once, for everyone together… */
export const LOGIN_FAILURE_BURST = 20;
/** …and per minute after that. */
export const LOGIN_FAILURES_PER_MINUTE = 60;
/** Login codes alive at most (older ones are dropped first). */
const MAX_CODES = 1_000;

/**
 * The Content-Security-Policy: nothing but our own scripts, styles and
 * WebSocket, plus the inline scripts and styles whose SHA-256 (base64) is in
 * `scripts` / `styles` (the page's own, fixed at start: first-screen.ts).
 */
export function csp(scripts: readonly string[] = [], styles: readonly string[] = []): string {
  const hashes = (xs: readonly string[]) => xs.map((x) => ` 'sha256-${x}'`).join("");
  return (
    `default-src 'none'; script-src 'self'${hashes(scripts)}; style-src 'self'${hashes(styles)}; img-src 'self' data:; connect-src 'self'; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
  );
}

/** Security headers on every response (the page's own carries its CSP with hashes: first-screen.ts). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": csp(),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "x-frame-options": "DENY",
};

/**
 * The headers of the page a valid login code opens (its first screen drawn):
 * SECURITY_HEADERS without Cross-Origin-Opener-Policy. `same-origin` there
 * makes Chromium put the page in a new browsing context group, so it starts
 * the page's renderer only once the reply's headers are in, instead of while
 * the request is under way: 100–250 ms more to the first screen on the
 * 2-core VM (the bench's reference page, sent with that header, pays the
 * same). The header guards against a window of another site holding a
 * handle on the page; none can on this one: it opens only with a fresh
 * one-time code no other page knows, in a tab of its own (`ipc ui` prints
 * the link or hands the browser a file), and it opens no windows and has
 * no links. Every page another site can open — without a code, or with a
 * refused one — keeps `same-origin`, and a reload of this one is such a page.
 */
export const DRAWN_PAGE_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SECURITY_HEADERS).filter(([k]) => k !== "cross-origin-opener-policy"),
);

/** What redeeming a login code gave: a session secret, a refusal, or `wait` ms to wait (too many failures: nothing was looked up). */
export type Redeemed = { session: string } | { refused: true } | { wait: number };

export class Guard {
  /** SHA-256 of each live login code → its expiry (ms). Insertion order is expiry order. */
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  private readonly failures = new RateBucket(LOGIN_FAILURES_PER_MINUTE, LOGIN_FAILURE_BURST);
  private readonly hosts: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;

  constructor(
    port: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`));
  }

  /** A fresh one-time login code (256 random bits), valid LOGIN_CODE_TTL_S. */
  issueCode(): string {
    const now = this.clock();
    for (const [c, exp] of this.codes) {
      if (exp > now && this.codes.size < MAX_CODES) break;
      this.codes.delete(c);
    }
    const code = newToken();
    this.codes.set(hashToken(code), now + LOGIN_CODE_TTL_S * 1000);
    return code;
  }

  /**
   * Spends a login code: a new session secret, or a refusal when the code is
   * unknown, used or expired. While failures exceed LOGIN_FAILURE_BURST (then
   * LOGIN_FAILURES_PER_MINUTE), every attempt waits, right or wrong, and no
   * code is looked up or spent.
   */
  redeem(code: string): Redeemed {
    const wait = this.failures.peek();
    if (wait > 0) return { wait };
    const hash = hashToken(code);
    const exp = this.codes.get(hash);
    if (exp === undefined || exp <= this.clock()) {
      this.failures.take();
      return { refused: true };
    }
    this.codes.delete(hash);
    const session = newToken();
    this.sessions.set(session, this.clock());
    return { session };
  }

  /** True when `req` carries a live session (and refreshes it). */
  loggedIn(req: Request): boolean {
    const sid = sessionOf(req);
    if (sid === null) return false;
    const now = this.clock();
    const last = this.sessions.get(sid);
    if (last === undefined) return false;
    if (now - last > SESSION_IDLE_MS) {
      this.sessions.delete(sid);
      return false;
    }
    this.sessions.set(sid, now);
    return true;
  }

  /** Ends the session `req` carries, if any. */
  logout(req: Request): void {
    const sid = sessionOf(req);
    if (sid !== null) this.sessions.delete(sid);
  }

  /**
   * Why `req` must be refused before anything else, or null when it may go on:
   * a foreign Host, a foreign Origin, an Origin missing on a write or an
   * upgrade, or a cross-site fetch (`Sec-Fetch-Site`; a navigation to the page is fine).
   */
  refusal(req: Request): string | null {
    const host = req.headers.get("host");
    if (host === null || !this.hosts.has(host.toLowerCase())) return `unexpected Host header ${JSON.stringify(host)}`;
    const origin = req.headers.get("origin");
    const needsOrigin = (req.method !== "GET" && req.method !== "HEAD") || req.headers.get("upgrade") !== null;
    if (origin === null ? needsOrigin : !this.origins.has(origin.toLowerCase())) {
      return origin === null ? "a request that changes something must carry an Origin" : `cross-origin request from ${origin}`;
    }
    const site = req.headers.get("sec-fetch-site");
    if (site !== null && site !== "same-origin" && site !== "none" && !isPageNavigation(req)) return `cross-site request (${site})`;
    return null;
  }
}

/**
 * A top-level navigation to the page itself (not the API): allowed from
 * anywhere — the page holds no data, `frame-ancestors 'none'` keeps it out of
 * frames, and `ipc ui --open` arrives from a local file (a cross-site navigation).
 */
function isPageNavigation(req: Request): boolean {
  return req.method === "GET" && req.headers.get("sec-fetch-mode") === "navigate" && !new URL(req.url).pathname.startsWith("/api/");
}

/** The session secret a request carries: the X-Ipc-Session header, or the WebSocket subprotocol entry; else null. */
export function sessionOf(req: Request): string | null {
  const header = req.headers.get(SESSION_HEADER);
  if (header !== null) return header.trim();
  for (const p of (req.headers.get("sec-websocket-protocol") ?? "").split(",")) {
    const t = p.trim();
    if (t.startsWith(WS_SESSION_PREFIX)) return t.slice(WS_SESSION_PREFIX.length);
  }
  return null;
}

/** A Set-Cookie value that deletes the cookie earlier versions set (it would keep leaking to other ports). */
export function clearOldCookie(): string {
  return `${OLD_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/`;
}
