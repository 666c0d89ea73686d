/** The dashboard's Guard on its own: login codes expire and are single-use; failures are throttled; Host and Origin rules. */
import { expect, test } from "bun:test";
import { Guard, LOGIN_CODE_TTL_S, LOGIN_FAILURE_BURST } from "../../src/ui/guard.ts";

test("a login code expires after LOGIN_CODE_TTL_S and works only once", () => {
  let now = 1_000_000;
  const g = new Guard(9877, () => now);
  const late = g.issueCode();
  now += LOGIN_CODE_TTL_S * 1000;
  expect(g.redeem(late)).toEqual({ refused: true });
  const code = g.issueCode();
  now += LOGIN_CODE_TTL_S * 1000 - 1;
  const r = g.redeem(code);
  if (!("session" in r)) throw new Error(`not redeemed: ${JSON.stringify(r)}`);
  const sid = r.session;
  expect(g.redeem(code)).toEqual({ refused: true });
  const req = (headers: Record<string, string>) => new Request("http://127.0.0.1:9877/api/agents", { headers });
  expect(g.loggedIn(req({ "x-ipc-session": sid }))).toBe(true);
  expect(g.loggedIn(req({ "sec-websocket-protocol": `ipc, ipc-session.${sid}` }))).toBe(true);
  expect(g.loggedIn(req({ cookie: `ipc_ui=${sid}` }))).toBe(false); // never a cookie
  expect(g.loggedIn(req({ "x-ipc-session": `${sid}x` }))).toBe(false);
  now += 13 * 3_600_000; // idle longer than a session lasts
  expect(g.loggedIn(req({ "x-ipc-session": sid }))).toBe(false);
});

test("wrong codes are throttled for everyone together: past the burst, even a right code waits and is not spent", () => {
  const g = new Guard(9877);
  const code = g.issueCode();
  for (let i = 0; i < LOGIN_FAILURE_BURST; i++) expect(g.redeem(`wrong-${i}`)).toEqual({ refused: true });
  const throttled = g.redeem(code);
  expect("wait" in throttled && throttled.wait > 0).toBe(true);
  expect(g.redeem("wrong again")).toMatchObject({ wait: expect.any(Number) });
});

test("Host must be our loopback address; Origin must be ours and is required on writes and upgrades", () => {
  const g = new Guard(9877);
  const r = (method: string, headers: Record<string, string>) => new Request("http://127.0.0.1:9877/x", { method, headers });
  expect(g.refusal(r("GET", { host: "127.0.0.1:9877" }))).toBeNull();
  expect(g.refusal(r("GET", { host: "localhost:9877" }))).toBeNull();
  expect(g.refusal(r("GET", { host: "127.0.0.1:9878" }))).toContain("Host");
  expect(g.refusal(r("GET", { host: "attacker.example:9877" }))).toContain("Host");
  expect(g.refusal(r("POST", { host: "127.0.0.1:9877" }))).toContain("Origin");
  expect(g.refusal(r("POST", { host: "127.0.0.1:9877", origin: "http://127.0.0.1:9877" }))).toBeNull();
  expect(g.refusal(r("POST", { host: "127.0.0.1:9877", origin: "http://127.0.0.1:9877.evil" }))).toContain("cross-origin");
  expect(g.refusal(r("GET", { host: "127.0.0.1:9877", upgrade: "websocket" }))).toContain("Origin");
  expect(g.refusal(r("GET", { host: "127.0.0.1:9877", origin: "null" }))).toContain("cross-origin");
  // A navigation to the page may come from anywhere (ipc ui --open arrives from a file); the API never cross-site.
  const nav = { host: "127.0.0.1:9877", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" };
  expect(g.refusal(new Request("http://127.0.0.1:9877/", { headers: nav }))).toBeNull();
  expect(g.refusal(new Request("http://127.0.0.1:9877/api/conversations", { headers: nav }))).toContain("cross-site");
  expect(g.refusal(new Request("http://127.0.0.1:9877/", { headers: { ...nav, "sec-fetch-mode": "no-cors" } }))).toContain("cross-site");
});
