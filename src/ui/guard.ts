/**
 * Who may use the dashboard, checked on every request: the `Host` header must
 * name our loopback address (against DNS rebinding), an `Origin` (always
 * required on writes and WebSocket upgrades) must be our own, and everything
 * but the static page needs the session cookie. The cookie is only ever got
 * by redeeming a one-time login code from `ipc ui`, which an authenticated
 * client of the broker asked for. Codes and sessions live in memory: a broker
 * restart logs everyone out.
 */
import { newToken, safeEqual } from "../protocol/auth.ts";

/** How long a login code from `ipc ui` may be redeemed (s). */
export const LOGIN_CODE_TTL_S = 300;
/** How long a dashboard session lasts without use (ms). */
const SESSION_IDLE_MS = 12 * 3_600_000;
/** The session cookie's name. */
export const COOKIE = "ipc_ui";

/** Security headers on every response (CSP: nothing but our own scripts, styles and WebSocket). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "x-frame-options": "DENY",
};

export class Guard {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
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
    for (const [c, exp] of this.codes) if (exp <= now) this.codes.delete(c);
    const code = newToken();
    this.codes.set(code, now + LOGIN_CODE_TTL_S * 1000);
    return code;
  }

  /** Spends a login code: a new session id for the cookie, or null when the code is unknown, used or expired. */
  redeem(code: string): string | null {
    const now = this.clock();
    let found: string | null = null;
    for (const [c, exp] of this.codes) if (safeEqual(c, code) && exp > now) found = c;
    if (found === null) return null;
    this.codes.delete(found);
    const sid = newToken();
    this.sessions.set(sid, now);
    return sid;
  }

  /** True when `req` carries a live session cookie (and refreshes it). */
  loggedIn(req: Request): boolean {
    const sid = cookieValue(req.headers.get("cookie"), COOKIE);
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
    const sid = cookieValue(req.headers.get("cookie"), COOKIE);
    if (sid !== null) this.sessions.delete(sid);
  }

  /**
   * Why `req` must be refused before anything else, or null when it may go on:
   * a foreign Host, a foreign Origin, an Origin missing on a write or an
   * upgrade, or a cross-site fetch (`Sec-Fetch-Site`).
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
    if (site !== null && site !== "same-origin" && site !== "none") return `cross-site request (${site})`;
    return null;
  }
}

/** The value of cookie `name` in a Cookie header (parsed by Bun.CookieMap), or null. */
function cookieValue(header: string | null, name: string): string | null {
  return header === null ? null : new Bun.CookieMap(header).get(name);
}

/** The Set-Cookie header value for session `sid`: HttpOnly, SameSite=Strict, whole site, ends with the browser session. */
export function sessionCookie(sid: string): string {
  return `${COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/`;
}
