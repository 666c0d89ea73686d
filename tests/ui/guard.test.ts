/** The dashboard's Guard on its own: login codes expire and are single-use; Host and Origin rules. */
import { expect, test } from "bun:test";
import { Guard, LOGIN_CODE_TTL_S } from "../../src/ui/guard.ts";

test("a login code expires after LOGIN_CODE_TTL_S and works only once", () => {
  let now = 1_000_000;
  const g = new Guard(9877, () => now);
  const late = g.issueCode();
  now += LOGIN_CODE_TTL_S * 1000;
  expect(g.redeem(late)).toBeNull();
  const code = g.issueCode();
  now += LOGIN_CODE_TTL_S * 1000 - 1;
  const sid = g.redeem(code);
  expect(sid).not.toBeNull();
  expect(g.redeem(code)).toBeNull();
  const req = (headers: Record<string, string>) => new Request("http://127.0.0.1:9877/api/agents", { headers });
  expect(g.loggedIn(req({ cookie: `ipc_ui=${sid}` }))).toBe(true);
  expect(g.loggedIn(req({ cookie: `ipc_ui=${sid}x` }))).toBe(false);
  now += 13 * 3_600_000; // idle longer than a session lasts
  expect(g.loggedIn(req({ cookie: `ipc_ui=${sid}` }))).toBe(false);
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
});
