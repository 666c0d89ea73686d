/**
 * Issue 22, hole 1: cookies are not scoped by port, so a dashboard cookie
 * reached every other web server on 127.0.0.1. Here real Chromium logs in to
 * the dashboard, then visits another server on another 127.0.0.1 port —
 * directly, and through a link on a page from 127.0.0.3 — whose pages make
 * follow-up requests of every kind. That server must receive nothing that
 * opens the dashboard: no credential in any header, and replaying every header
 * it got gets no data.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type BrokerProcess, type IpcEnv, ipc } from "../helpers/processes.ts";
import { CHROMIUM, CHROMIUM_FLAGS, chromiumSkip, dashboardBroker, loginUrl, waitUntil } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let origin: string;

beforeAll(async () => {
  ({ e, broker, origin } = await dashboardBroker());
  for (const name of ["fred", "barney"]) expect((await ipc(e, ["register", name], { env: { IPC_NAME: name } })).code).toBe(0);
  expect((await ipc(e, ["send", "barney", "the vault code is 4711"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
});

afterAll(async () => {
  await broker?.stop();
});

/** One request another server received: its path and every header. */
interface Seen {
  path: string;
  headers: Record<string, string>;
}

/** A web server of "someone else" on 127.0.0.1: its pages make every kind of follow-up request, and it records them all. */
function otherServer(): { port: number; seen: Seen[]; stop(): void } {
  const seen: Seen[] = [];
  const page = `<!doctype html><title>other</title><img src="/pixel.png"><link rel="stylesheet" href="/style.css">
<script>
  fetch("/collect", { credentials: "include" });
  fetch("/collect-post", { method: "POST", credentials: "include", body: "x" });
  const ws = new WebSocket("ws://" + location.host + "/ws");
  ws.onopen = () => ws.send("hi");
  fetch("${origin}/api/conversations", { credentials: "include", mode: "no-cors" }).catch(() => {});
  setTimeout(() => fetch("/done"), 300);
</script>`;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      const path = new URL(req.url).pathname;
      seen.push({ path, headers: Object.fromEntries(req.headers) });
      if (path === "/ws" && srv.upgrade(req)) return undefined;
      if (path === "/") return new Response(page, { headers: { "content-type": "text/html" } });
      return new Response("", { status: 204 });
    },
    websocket: { message() {} },
  });
  return { port: server.port!, seen, stop: () => server.stop(true) };
}

describe.skipIf(chromiumSkip !== null)("the dashboard's credential stays with the dashboard", () => {
  test("another 127.0.0.1 server visited by the same browser gets nothing usable", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const other = otherServer();
    const linker = Bun.serve({
      hostname: "127.0.0.3",
      port: 0,
      fetch: () => new Response(`<!doctype html><a id="go" href="http://127.0.0.1:${other.port}/">look</a>`, { headers: { "content-type": "text/html" } }),
    });
    try {
      const context = await browser.newContext();
      const dash = await context.newPage();
      await dash.goto(await loginUrl(e));
      await dash.locator("#conversations").getByText("the vault code").waitFor();
      // A reload keeps the login.
      await dash.reload();
      await dash.locator("#conversations").getByText("the vault code").waitFor();

      // Whatever the browser now holds for the dashboard: cookies, and the page's storage.
      const cookies = (await context.cookies()).map((c) => c.value);
      const stored = JSON.parse(await dash.evaluate("JSON.stringify(Object.values(sessionStorage).concat(Object.values(localStorage)))")) as string[];
      const secrets = [...cookies, ...stored].filter((s) => s.length >= 32);
      expect(secrets.length).toBeGreaterThan(0);

      // A direct visit, and a visit through a link from another site (127.0.0.3).
      const visit = await context.newPage();
      await visit.goto(`http://127.0.0.1:${other.port}/`);
      await waitUntil(() => other.seen.some((s) => s.path === "/done"), 10_000, "the other page's requests");
      const viaLink = await context.newPage();
      await viaLink.goto(`http://127.0.0.3:${linker.port}/`);
      const before = other.seen.filter((s) => s.path === "/done").length;
      await viaLink.click("#go");
      await waitUntil(() => other.seen.filter((s) => s.path === "/done").length > before, 10_000, "the linked page's requests");
      expect(other.seen.map((s) => s.path)).toEqual(expect.arrayContaining(["/", "/pixel.png", "/style.css", "/collect", "/collect-post", "/ws"]));

      // No header of any request carries a dashboard credential...
      const received = JSON.stringify(other.seen);
      for (const s of secrets) expect(received.includes(s)).toBe(false);
      // ...and replaying every header it got (as a program, free to set its own Host and fetch metadata) opens nothing.
      const transport = /^(host|origin|referer|sec-fetch-|upgrade|connection|sec-websocket-(key|version|extensions)|content-length)/;
      for (const s of other.seen) {
        const replay = Object.fromEntries(Object.entries(s.headers).filter(([k]) => !transport.test(k)));
        const res = await fetch(`${origin}/api/conversations`, { headers: replay });
        expect(res.status).toBe(401);
        expect(await res.text()).not.toContain("vault");
      }
      // The dashboard itself still works.
      expect(await dash.locator("#live.on").count()).toBe(1);
    } finally {
      other.stop();
      linker.stop(true);
      await browser.close();
    }
  }, 60_000);
});
