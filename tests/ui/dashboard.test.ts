/**
 * The browser dashboard against a real broker process: its HTTP guard (login
 * code → session secret, Host, Origin, CSP) with plain fetch, and the page itself in
 * Debian's Chromium driven by playwright-core (no browser download).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { freePort } from "../helpers/ports.ts";
import { RawClient } from "../helpers/raw.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const CHROMIUM = process.env.IPC_TEST_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let e: IpcEnv;
let broker: BrokerProcess;
let uiPort: number;
let origin: string;

/** A fresh one-time login URL from `ipc ui`. */
async function loginUrl(): Promise<string> {
  const r = await ipcJson<{ url: string; port: number }>(e, ["ui"]);
  expect(r.port).toBe(uiPort);
  return r.url;
}

/** Logs in with plain fetch; returns the header that carries the session. */
async function session(): Promise<Record<string, string>> {
  const code = new URL(await loginUrl()).searchParams.get("login")!;
  const res = await fetch(`${origin}/api/login`, { method: "POST", headers: { origin }, body: JSON.stringify({ code }) });
  expect(res.status).toBe(200);
  return { "x-ipc-session": ((await res.json()) as { session: string }).session };
}

beforeAll(async () => {
  uiPort = freePort();
  origin = `http://127.0.0.1:${uiPort}`;
  e = ipcEnv({ IPC_UI_PORT: String(uiPort) });
  broker = await startBrokerProcess(e);
  for (const name of ["fred", "barney"]) {
    const r = await ipc(e, ["register", name], { env: { IPC_NAME: name } });
    expect(r.code).toBe(0);
  }
});

afterAll(async () => {
  await broker?.stop();
});

describe("dashboard HTTP guard", () => {
  test("nothing but the page without logging in; the page carries a strict CSP", async () => {
    await loginUrl(); // starts the dashboard
    const api = await fetch(`${origin}/api/agents`);
    expect(api.status).toBe(401);
    const ws = await fetch(`${origin}/api/live`, { headers: { upgrade: "websocket", origin } });
    expect(ws.status).toBe(401);
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    // Everything the page loads is its own (no third-party requests).
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  test("a login code works once; it gives a session secret for the page to send, never a cookie", async () => {
    const code = new URL(await loginUrl()).searchParams.get("login")!;
    const bad = await fetch(`${origin}/api/login`, { method: "POST", headers: { origin }, body: JSON.stringify({ code: "x" + code }) });
    expect(bad.status).toBe(401);
    const good = await fetch(`${origin}/api/login`, { method: "POST", headers: { origin }, body: JSON.stringify({ code }) });
    expect(good.status).toBe(200);
    expect(good.headers.get("set-cookie")).toBeNull();
    const { session: sid } = (await good.json()) as { session: string };
    expect(sid.length).toBeGreaterThanOrEqual(43);
    const again = await fetch(`${origin}/api/login`, { method: "POST", headers: { origin }, body: JSON.stringify({ code }) });
    expect(again.status).toBe(401);
    // The secret as a cookie opens nothing; as the header it does.
    expect((await fetch(`${origin}/api/agents`, { headers: { cookie: `ipc_ui=${sid}` } })).status).toBe(401);
    // A browser still holding the cookie of an earlier version is told to drop it.
    const code2 = new URL(await loginUrl()).searchParams.get("login")!;
    const withOld = await fetch(`${origin}/api/login`, { method: "POST", headers: { origin, cookie: "ipc_ui=old" }, body: JSON.stringify({ code: code2 }) });
    expect(withOld.headers.get("set-cookie")).toStartWith("ipc_ui=; Max-Age=0");
    const agents = await fetch(`${origin}/api/agents`, { headers: { "x-ipc-session": sid } });
    expect(agents.status).toBe(200);
    const body = (await agents.json()) as { items: { name: string }[] };
    expect(body.items.map((a) => a.name)).toEqual(expect.arrayContaining(["fred", "barney"]));
  });

  test("a foreign Host (DNS rebinding) or Origin is refused, even with a session", async () => {
    const c = await session();
    const rebound = await fetch(`${origin}/api/agents`, { headers: { ...c, host: `evil.example:${uiPort}` } });
    expect(rebound.status).toBe(403);
    const page = await fetch(`${origin}/`, { headers: { host: "evil.example" } });
    expect(page.status).toBe(403);
    const cross = await fetch(`${origin}/api/send`, {
      method: "POST",
      headers: { ...c, origin: "http://evil.example" },
      body: JSON.stringify({ as: "you", to: "fred", content: "forged" }),
    });
    expect(cross.status).toBe(403);
    const noOrigin = await fetch(`${origin}/api/send`, { method: "POST", headers: { ...c }, body: JSON.stringify({ as: "you", to: "fred", content: "forged" }) });
    expect(noOrigin.status).toBe(403);
    const ws = await fetch(`${origin}/api/live`, { headers: { ...c, upgrade: "websocket", origin: "http://evil.example" } });
    expect(ws.status).toBe(403);
    const site = await fetch(`${origin}/api/agents`, { headers: { ...c, "sec-fetch-site": "cross-site" } });
    expect(site.status).toBe(403);
    // Nothing forged arrived.
    const inbox = await ipcJson<{ messages: unknown[] }>(e, ["check", "--peek"], { env: { IPC_NAME: "fred" } });
    expect(JSON.stringify(inbox.messages)).not.toContain("forged");
  });

  test("posting as the name of a connected agent is refused; bad bodies get clear errors", async () => {
    const c = await session();
    const post = (body: unknown) =>
      fetch(`${origin}/api/send`, { method: "POST", headers: { ...c, origin, "content-type": "application/json" }, body: JSON.stringify(body) });
    const bad = await post({ as: "you", to: "no such name!", content: "x" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("INVALID_NAME");
    const empty = await post({ as: "you", to: "fred", content: "" });
    expect(empty.status).toBe(400);
    await using watcher = spawnWatch("barney");
    await waitUntil(async () => {
      const r = await fetch(`${origin}/api/agents`, { headers: c });
      return ((await r.json()) as { items: { name: string; online: boolean }[] }).items.some((a) => a.name === "barney" && a.online);
    });
    const impersonate = await post({ as: "barney", to: "fred", content: "I am barney" });
    expect(impersonate.status).toBe(409);
    void watcher;
  });

  test("a connection that has not proved the broker key (another user) gets no login link", async () => {
    await using stranger = await RawClient.connect(e.port, "127.0.0.1", { authenticate: false });
    const r = await stranger.call({ id: 1, op: "ui" });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(r)).not.toContain("login=");
  });

  test("IPC_UI=off: `ipc ui` says the dashboard is off", async () => {
    const off = ipcEnv({ IPC_UI: "off" });
    await using b = await startBrokerProcess(off);
    const r = await ipc(off, ["ui"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("IPC_UI=off");
    void b;
  });
});

/** `ipc watch --peek` as `name` in the background (a live connection), killed on dispose. */
function spawnWatch(name: string): AsyncDisposable {
  const proc = Bun.spawn([...(e.cmd ?? [process.execPath, resolve(import.meta.dir, "../../src/main.ts")]), "watch", "--peek"], {
    env: { ...e.env, IPC_NAME: name },
    stdout: "ignore",
    stderr: "ignore",
  });
  return {
    [Symbol.asyncDispose]: async () => {
      proc.kill();
      await proc.exited;
    },
  };
}

/** Polls `check` every 50 ms until it holds or 10 s pass. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error("condition not met within 10 s");
}

describe.skipIf(!existsSync(CHROMIUM))("dashboard in Chromium", () => {
  test("lists agents, shows CLI messages live, posts to agents, renders hostile content as text", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      let external = 0;
      page.on("request", (req) => {
        if (!req.url().startsWith(origin) && !req.url().startsWith(`ws://127.0.0.1:${uiPort}`)) external++;
      });
      await page.goto(await loginUrl());
      // The code leaves the address bar at once.
      await page.waitForFunction("!location.href.includes('login')");
      await page.locator("#agents").getByText("fred").waitFor();
      await page.locator("#agents").getByText("barney").waitFor();
      await page.locator("#live.on").waitFor();

      // A message sent with the CLI appears without a reload.
      const sent = await ipcJson<{ message_id: number }>(e, ["send", "barney", "Lunch at noon? #live-check"], { env: { IPC_NAME: "fred" } });
      await page.locator("#conversations").getByText("Lunch at noon?").waitFor();
      await page.locator("#conversations button", { hasText: "barney ↔ fred" }).click();
      await page.locator(`#m${sent.message_id}`).waitFor();

      // Hostile content is text, never markup.
      const evil = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
      const hostile = await ipcJson<{ message_id: number }>(e, ["send", "barney", evil], { env: { IPC_NAME: "fred" } });
      const item = page.locator(`#m${hostile.message_id} .content`);
      await item.waitFor();
      expect(await item.textContent()).toBe(evil);
      expect(await page.locator("#messages img, #messages script").count()).toBe(0);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();

      // A post from the page is an ordinary message to the agent.
      await page.fill("#as", "ops");
      await page.fill("#to", "fred");
      await page.fill("#text", "Please pause deploys — from the dashboard");
      await page.click("#compose button[type=submit]");
      await page.locator("#sent", { hasText: "✓" }).waitFor();
      const inbox = await ipcJson<{ messages: { from: string; content: string }[] }>(e, ["check"], { env: { IPC_NAME: "fred" } });
      expect(inbox.messages).toContainEqual(expect.objectContaining({ from: "ops", content: "Please pause deploys — from the dashboard" }));

      // Search over everything.
      await page.fill("#search", "noon");
      await page.press("#search", "Enter");
      await page.locator("#title", { hasText: "result" }).waitFor();
      expect(await page.locator("#messages .content", { hasText: "Lunch at noon?" }).count()).toBe(1);

      // Keyboard: j opens the newest conversation.
      await page.locator("#conversations button").first().waitFor();
      await page.locator("body").click({ position: { x: 5, y: 400 } });
      await page.keyboard.press("j");
      await page.locator("#conversations button.current").waitFor();

      // Narrow screens still work.
      await page.setViewportSize({ width: 400, height: 760 });
      expect(await page.locator("#compose").isVisible()).toBe(true);
      await page.setViewportSize({ width: 1200, height: 760 });
      // Command output shows as a collapsible monospace block.
      const run = await ipc(e, ["share-command", "barney", "--json", "--", "echo", "build passed: 214 tests"], { env: { IPC_NAME: "fred" } });
      expect(run.code).toBe(0);
      const shared = JSON.parse(run.stdout) as { message_id: number };
      await page.locator("#conversations button", { hasText: "barney ↔ fred" }).click();
      await page.locator(`#m${shared.message_id} details pre`, { hasText: "build passed" }).waitFor();
      await page.locator(`#m${sent.message_id}`).waitFor();
      // (The screenshots of docs/images/ are views.test.ts's.)
      // A large attachment arrives summarised, and loads whole on demand.
      const file = join(tmpdir(), `ipc-ui-big-${process.pid}.txt`);
      writeFileSync(file, `${"line of a long log\n".repeat(2_000)}the end\n`);
      const big = JSON.parse((await ipc(e, ["share-file", "barney", file, "--json"], { env: { IPC_NAME: "fred" } })).stdout) as { message_id: number };
      const load = page.locator(`#m${big.message_id} button`, { hasText: "load the attachment" });
      await load.waitFor();
      await load.click();
      await page.locator(`#m${big.message_id} details pre`, { hasText: "the end" }).waitFor();
      expect(external).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  test("a page without a valid login shows why and loads no data", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      await loginUrl();
      // A link of the form `ipc ui` prints: refused by the server, which draws no data.
      const res = await page.goto(`${origin}/?login=not-a-code`);
      expect(res?.status()).toBe(401);
      await page.locator("#banner", { hasText: "unknown, used or expired" }).waitFor();
      expect(await page.locator("#agents button").count()).toBe(0);
      expect(page.url()).not.toContain("login=");
      // The older form (the code in the fragment, spent by the page's script), in a fresh page (not a same-document jump).
      const old = await browser.newPage();
      await old.goto(`${origin}/#login=not-a-code`);
      await old.locator("#banner", { hasText: "Not logged in" }).waitFor();
      expect(await old.locator("#agents button").count()).toBe(0);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
