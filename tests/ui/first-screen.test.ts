/**
 * The first screen the server draws into the page of a login link
 * (`GET /?login=CODE`, src/ui/first-screen.ts): every agent-controlled string
 * escaped exactly (the markup, then real Chromium with the page's script
 * blocked, so what shows is the server's HTML alone), the code spent once, a
 * refused code drawing no data, the inline style and script allowed by hash
 * only, and the page's script taking over the drawn screen (session, clicks,
 * live feed) with the same rows it draws itself.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrokerProcess, IpcEnv } from "../helpers/processes.ts";
import { ipc, ipcJson } from "../helpers/processes.ts";
import { loadAssets } from "../../src/ui/assets.ts";
import { DRAWN, PageTemplate } from "../../src/ui/first-screen.ts";
import { escapeHtml, jsonForScript, toHtml } from "../../src/ui/html.ts";
import { h } from "../../src/ui/page/rows.ts";
import type { UiAgent } from "../../src/ui/schemas.ts";
import { CHROMIUM, CHROMIUM_FLAGS, chromiumSkip, dashboardBroker, loginUrl } from "./_ui.ts";

/** Markup, quotes, an ampersand entity and a carriage return an agent might send: all of it must show as text. */
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script></li></ul>&amp; 'q' "d"\r\nend`;

describe("first screen markup", () => {
  test("text and attribute values are escaped; tag names are never data", () => {
    expect(escapeHtml(`<a href="x">&'\r\0`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#13;\uFFFD");
    expect(toHtml(h("span", { title: `"><script>x</script>` }, "</span><b>", h("i", {}, "&")))).toBe(
      `<span title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&lt;/span&gt;&lt;b&gt;<i>&amp;</i></span>`,
    );
    expect(() => toHtml(h("img src=x", {}))).toThrow("not a tag name");
    expect(() => toHtml(h("span", { "onclick=x": "" }))).toThrow("not an attribute name");
    // JSON in a script block: no `<`, so no `</script>` or `<!--`; it parses back the same.
    const json = jsonForScript({ s: "</script><!--" });
    expect(json).not.toContain("<");
    expect(JSON.parse(json)).toEqual({ s: "</script><!--" });
  });

  test("the page draws the rows a screen shows, with their data for the script; a refusal draws none", async () => {
    const t = new PageTemplate(await loadAssets());
    const now = Date.now();
    const agents: UiAgent[] = Array.from({ length: 150 }, (_, i) => ({
      name: `agent${i}`,
      kind: "Codex",
      machine: "this machine",
      project: "web<app>",
      online: i % 2 === 0,
      state: "idle",
      listening: false,
      unread: 0,
      claims: [],
      last_seen: new Date(now).toISOString(),
    }));
    const html = t.render({ session: "s3cret", agents: { items: agents, total: 300 }, channels: [], conversations: { items: [] } }, now);
    expect(html.match(/class="item agent/g)?.length).toBe(DRAWN.agents);
    expect(html).toContain("<span>web&lt;app&gt;</span><span>150</span>");
    expect(html).toContain("(75 online of 300)");
    expect(html).not.toContain("web<app>");
    expect(html).toContain('<button id="more-agents" class="more" type="button">');
    expect(html).toContain("<style>");
    expect(html).not.toContain('rel="stylesheet"');
    const data = /<script type="application\/json" id="first-screen">([^<]*)<\/script>/.exec(html);
    expect(JSON.parse(data![1]!).agents.items).toHaveLength(150);

    const refused = t.render({ error: "this login link is unknown <used>" });
    expect(refused).toContain('<p id="banner" class="banner">this login link is unknown &lt;used&gt;</p>');
    expect(refused).not.toContain("item agent");
    expect(refused).not.toContain("performance.mark");
  });
});

describe.skipIf(chromiumSkip !== null)("first screen from a real broker", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let origin: string;

  beforeAll(async () => {
    ({ e, broker, origin } = await dashboardBroker());
    for (const name of ["fred", "barney"]) expect((await ipc(e, ["register", name], { env: { IPC_NAME: name } })).code).toBe(0);
    await ipcJson(e, ["send", "barney", HOSTILE], { env: { IPC_NAME: "fred" } });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  test("a code is spent once; the page's CSP allows its own inline style and script by hash, nothing else inline", async () => {
    const url = await loginUrl(e);
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.headers.get("set-cookie")).toBeNull();
    const csp = first.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(csp).not.toContain("unsafe");
    // No Cross-Origin-Opener-Policy on the page a code opens (no other site's window can hold it: guard.ts DRAWN_PAGE_HEADERS)…
    expect(first.headers.get("cross-origin-opener-policy")).toBeNull();
    expect(first.headers.get("x-frame-options")).toBe("DENY");
    const html = await first.text();
    expect(html).toContain('data-name="fred"');
    expect(html).toMatch(/"session":"[A-Za-z0-9_-]{43}"/);
    // The same link again: refused, with no data and no session in the page.
    const again = await fetch(url);
    expect(again.status).toBe(401);
    const refused = await again.text();
    expect(refused).toContain("this login link is unknown, used or expired");
    expect(refused).not.toContain('data-name="fred"');
    expect(refused).not.toContain('"session"');
    // …every page another site can open keeps it.
    expect(again.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    // Without a code: the empty page, as before.
    const plainRes = await fetch(`${origin}/`);
    expect(plainRes.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    const plain = await plainRes.text();
    expect(plain).not.toContain('data-name="fred"');
    expect(plain).not.toContain("first-screen");
  });

  test("in Chromium: the server's rows alone show agent text exactly and run nothing; the script then takes over", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      // The page's script blocked: what shows is the server's HTML.
      const bare = await browser.newPage({ viewport: { width: 1200, height: 760 } });
      await bare.route("**/*.js", (r) => r.abort());
      await bare.goto(await loginUrl(e));
      const preview = bare.locator("#conversations .preview").first();
      expect(await preview.textContent()).toBe(`fred: ${HOSTILE.slice(0, 140)}`);
      expect(await bare.locator("#agents button[data-name='barney'] .name").textContent()).toBe("barney");
      expect(await bare.locator("main img, main script").count()).toBe(0);
      expect(await bare.evaluate("window.__pwned")).toBeUndefined();
      // The inline script ran (allowed by its hash): the spent code left the address bar, the frame was marked.
      expect(bare.url()).toBe(`${origin}/`);
      await bare.waitForFunction(() => performance.getEntriesByName("ipc:first-screen").length === 1);
      const serverRow = await bare.locator("#agents button[data-name='fred']").evaluate((b) => b.outerHTML);

      // With the script: it adopts the session and the rows, and draws the same rows itself.
      const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(await loginUrl(e));
      await page.locator("#live.on").waitFor();
      const pageRow = await page.locator("#agents button[data-name='fred']").evaluate((b) => b.outerHTML);
      // Same markup (an offline agent's "seen N s" may have moved on).
      const norm = (s: string) => s.replace(/seen \d+ \w+/, "seen …");
      expect(norm(pageRow)).toBe(norm(serverRow));
      await page.locator("#conversations button", { hasText: "barney ↔ fred" }).click();
      const content = page.locator("#messages .content").last();
      await content.waitFor();
      expect(await content.textContent()).toBe(HOSTILE);
      await page.locator("#agents button[data-name='barney']").click();
      expect(await page.locator("#to").inputValue()).toBe("barney");
      // The session works for the API (search needs it).
      await page.locator("#search").fill("onerror");
      await page.locator("#title", { hasText: "for “onerror”" }).waitFor();
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => performance.getEntriesByName("ipc:first-screen").length)).toBe(1);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
