/**
 * The redesigned dashboard (issue 24) in Debian's Chromium against a real
 * broker: agents one line each by project with host kind and state, a channel
 * post shown once in its channel, a message's state going queued → delivered
 * (woken) → read live, the graph growing on a send, compose completion that
 * opens the conversation, search as you type with marked hits, a claim made
 * with the CLI released from the page with a notice to its holder, a
 * person's post refused for an agent's name, and keyboard focus kept on its
 * row when the agents reload live. Takes the screenshots of
 * docs/images/ (light, dark, 420 px, graph) when IPC_UPDATE_SCREENSHOTS=1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";
import { CHROMIUM, CHROMIUM_FLAGS, chromiumSkip, loginUrl, waitUntil } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let browser: Browser;
let page: Page;
const clients = new Map<string, RawClient>();
const errors: string[] = [];
let project: string;
/** Markup an agent might send: it must show as text. */
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

/** A live connection registered as `name` from a host of kind `host` (this process as its seat). */
async function agent(name: string, host: string): Promise<RawClient> {
  const c = await RawClient.connect(e.port);
  const r = await c.call({ id: 0, op: "register", name, seat: { host, pid: process.pid } });
  if (r.ok !== true) throw new Error(`register ${name}: ${JSON.stringify(r)}`);
  clients.set(name, c);
  return c;
}

let nextId = 100;
async function call(name: string, req: Record<string, unknown>): Promise<any> {
  const r = await clients.get(name)!.call({ id: nextId++, ...req });
  if (r.ok !== true) throw new Error(`${name} ${String(req.op)}: ${JSON.stringify(r)}`);
  return r;
}

/** Saves a screenshot; into docs/images/ too when IPC_UPDATE_SCREENSHOTS=1. */
async function shot(file: string, opts: { fullPage?: boolean; selector?: string } = {}): Promise<void> {
  const path = join(tmpdir(), `ipc-${file}`);
  if (opts.selector) await page.locator(opts.selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: opts.fullPage ?? false });
  if (process.env.IPC_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(resolve(import.meta.dir, "../../docs/images"), { recursive: true });
    copyFileSync(path, resolve(import.meta.dir, "../../docs/images", file));
  }
}

beforeAll(async () => {
  if (chromiumSkip !== null) return;
  // 200 agents register in the last test: no per-connection registration limit.
  e = ipcEnv({ IPC_UI_PORT: String(freePort()), IPC_REGISTER_PER_CONNECTION: "0" });
  broker = await startBrokerProcess(e);
  const work = join(tempHome("ipc-ui-proj-"), "webapp");
  mkdirSync(join(work, ".git"), { recursive: true });
  project = work;
  await agent("claude-webapp", "claude");
  await agent("codex-webapp", "codex");
  await agent("gemini-api", "gemini");
  await agent("opencode-api", "opencode");
  for (const n of ["claude-webapp", "codex-webapp"]) await call(n, { op: "channel", action: "join", channel: "#webapp" });
  await call("gemini-api", { op: "channel", action: "join", channel: "#api" });
  await call("claude-webapp", { op: "claim", project, paths: ["src/api/**"], reason: "moving the routes to v2" });
  await call("gemini-api", { op: "claim", project, paths: ["api/orders.yaml"], reason: HOSTILE, ttl_s: 60 });
  await call("claude-webapp", { op: "send", to: "codex-webapp", content: "Can you review the routes PR when you are free?" });
  await call("codex-webapp", { op: "check" });
  await call("codex-webapp", { op: "send", to: "claude-webapp", content: "Looking now. The handler for /users drops the cursor." });
  await call("claude-webapp", { op: "check" });
  await call("claude-webapp", { op: "send", to: "codex-webapp", content: "Good catch: fixed in 4f2a1c0, and a test for an empty page." });
  await call("codex-webapp", { op: "check", deliver: true });
  await call("codex-webapp", { op: "send", to: "claude-webapp", content: "Approved. Merging after CI." });
  await call("gemini-api", { op: "send", to: "opencode-api", content: "Schema for /orders is in api/orders.yaml" });
  await call("claude-webapp", { op: "send", to: "#webapp", content: "Routes are on v2 now; please rebase." });
  expect((await ipc(e, ["register", "fred"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  expect((await ipc(e, ["claim", "docs/**", "--reason", "rewriting the guide", "--ttl", "20m"], { env: { IPC_NAME: "fred" }, cwd: work })).code).toBe(0);

  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (err) => errors.push(err.message));
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(await loginUrl(e));
  await page.locator("#live.on").waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const c of clients.values()) c.close();
  await broker?.stop();
});

describe.skipIf(chromiumSkip !== null)("the dashboard's views in Chromium", () => {
  test("agents: one line each, by project, with host kind and state", async () => {
    const row = page.locator('#agents button[data-name="claude-webapp"]');
    await row.waitFor();
    expect(await row.locator(".kind").textContent()).toBe("Claude Code");
    expect(await page.locator('#agents button[data-name="codex-webapp"] .kind').textContent()).toBe("Codex");
    expect(await page.locator('#agents button[data-name="gemini-api"] .kind').textContent()).toBe("Gemini CLI");
    expect(await page.locator('#agents button[data-name="opencode-api"] .kind').textContent()).toBe("OpenCode");
    expect(await row.locator(".held").textContent()).toBe("⚑1");
    // One line: the row is no taller than one line of text and its padding.
    const box = (await row.boundingBox())!;
    expect(box.height).toBeLessThan(30);
    // Grouped: the webapp agents under their project's heading.
    const groups = await page.locator("#agents .group span:first-child").allTextContents();
    expect(groups).toEqual(expect.arrayContaining(["webapp", "api"]));
    expect(["active", "idle"]).toContain((await row.locator(".st").textContent())!);
  });

  test("a channel post shows once, in its channel, never as a direct conversation", async () => {
    const text = "Standup in five minutes, in the channel only";
    const sent = await call("claude-webapp", { op: "send", to: "#webapp", content: text });
    await page.locator("#conversations .preview", { hasText: text }).waitFor();
    expect(await page.locator("#conversations .preview", { hasText: text }).count()).toBe(1);
    const row = page.locator("#conversations button", { hasText: text });
    expect(await row.locator(".name").textContent()).toBe("#webapp");
    await page.locator("#channels .preview", { hasText: text }).waitFor();
    await page.locator("#channels button", { hasText: "#webapp" }).click();
    await page.locator("#title", { hasText: "#webapp" }).waitFor();
    await page.locator(`#m${sent.message_id}`).waitFor();
    expect(await page.locator("#messages .content", { hasText: text }).count()).toBe(1);
    // The member's copy is never a conversation of its own.
    expect(await page.locator("#conversations .name", { hasText: "claude-webapp ↔ codex-webapp" }).count()).toBeLessThanOrEqual(1);
    await page.locator("#conversations button", { hasText: "claude-webapp ↔ codex-webapp" }).first().click();
    await page.locator("#title", { hasText: "claude-webapp ↔ codex-webapp" }).waitFor();
    await page.locator("#messages .content", { hasText: "Can you review the routes PR" }).waitFor();
    expect(await page.locator("#messages .content", { hasText: text }).count()).toBe(0);
    // Its reach: read by 0 of 1 until codex reads its copy, then 1 of 1, live.
    await page.locator("#channels button", { hasText: "#webapp" }).click();
    const chip = page.locator(`#m${sent.message_id} .state`);
    await chip.filter({ hasText: "read by 0/1" }).waitFor();
    await call("codex-webapp", { op: "check" });
    await chip.filter({ hasText: "read by 1/1" }).waitFor();
  });

  test("a message's state goes queued → delivered (woken into the model's turn) → read, live", async () => {
    await page.locator("#conversations button", { hasText: "gemini-api ↔ opencode-api" }).click();
    const sent = await call("gemini-api", { op: "send", to: "opencode-api", content: "Please regenerate the client" });
    const chip = page.locator(`#m${sent.message_id} .state`);
    await chip.and(page.locator('[data-state="queued"]')).waitFor();
    // opencode's deliverer takes it (a lease: into the model's turn) …
    const got = await call("opencode-api", { op: "check", deliver: true });
    expect(got.messages.map((m: { id: number }) => m.id)).toContain(sent.message_id);
    await chip.and(page.locator('[data-state="delivered"]')).waitFor();
    expect(await chip.textContent()).toContain("woken into the model's turn");
    // … and acks it: read.
    await call("opencode-api", { op: "ack", message_ids: [sent.message_id], delivered: true });
    await chip.and(page.locator('[data-state="read"]')).waitFor();
    expect(await chip.textContent()).toMatch(/✓ read \d/);
    // The agent shows as just woken; the activity strip says so.
    await page.locator('#agents button[data-name="opencode-api"] .st.woken').waitFor();
    await page.locator("#activity .a-woken", { hasText: "opencode-api" }).first().waitFor();
  });

  test("a message a waiting reader takes shows read, delivered to a waiting reader", async () => {
    await call("codex-webapp", { op: "check" }); // nothing left unread: the next check waits
    const pending = clients.get("codex-webapp")!.call({ id: nextId++, op: "check", wait: 20 });
    // The page's own API says when codex is listening (its held check is in place).
    await waitUntil(
      async () =>
        (await page.evaluate(
          "fetch('/api/agents?limit=200', { headers: { 'x-ipc-session': sessionStorage.getItem('ipc-session') } }).then((r) => r.json()).then((p) => p.items.find((a) => a.name === 'codex-webapp').listening)",
        )) === true,
      10_000,
      "codex-webapp listening",
    );
    await page.locator("#conversations button", { hasText: "claude-webapp ↔ codex-webapp" }).first().click();
    const sent = await call("claude-webapp", { op: "send", to: "codex-webapp", content: "Are you there?" });
    expect(sent.status).toBe("delivered");
    expect(((await pending).messages as { id: number }[]).map((m) => m.id)).toEqual([sent.message_id]);
    const chip = page.locator(`#m${sent.message_id} .state`);
    await chip.and(page.locator('[data-state="read"]')).waitFor();
    expect(await chip.getAttribute("title")).toContain("to a waiting reader");
  });

  test("the graph grows on a send", async () => {
    const edge = page.locator('#graph line[data-edge="opencode-api→gemini-api"]');
    expect(await edge.count()).toBe(0);
    await call("opencode-api", { op: "send", to: "gemini-api", content: "Done: client regenerated" });
    await edge.waitFor({ state: "attached" });
    expect(await edge.getAttribute("data-count")).toBe("1");
    await call("opencode-api", { op: "send", to: "gemini-api", content: "And the docs too" });
    await page.locator('#graph line[data-edge="opencode-api→gemini-api"][data-count="2"]').waitFor({ state: "attached" });
    // Channels are nodes too; names are text nodes.
    expect(await page.locator('#graph g[data-node="#webapp"]').count()).toBe(1);
    expect(await page.locator("#graph text", { hasText: "claude-webapp" }).count()).toBe(1);
  });

  test("compose completes names and #channels, does not cut a name, and opens the conversation", async () => {
    await page.locator("#to").fill("");
    await page.locator("#to").pressSequentially("clau");
    await page.locator('#completions li[data-value="claude-webapp"]').waitFor();
    await page.keyboard.press("Enter");
    expect(await page.locator("#to").inputValue()).toBe("claude-webapp");
    // The whole name fits in the box.
    // (Strings run in the page: this file is not type-checked with the DOM's types.)
    expect(await page.evaluate("(() => { const i = document.getElementById('to'); return i.scrollWidth <= i.clientWidth; })()")).toBe(true);
    expect(await page.evaluate("document.activeElement?.id")).toBe("text");
    await page.locator("#text").fill("Please also bump the API version");
    await page.keyboard.press("Control+Enter");
    await page.locator("#sent", { hasText: "✓" }).waitFor();
    await page.locator("#title", { hasText: "claude-webapp ↔ you" }).waitFor();
    await page.locator("#messages .content", { hasText: "Please also bump the API version" }).waitFor();
    const inbox = await call("claude-webapp", { op: "check" });
    expect(inbox.messages).toContainEqual(expect.objectContaining({ from: "you", content: "Please also bump the API version" }));
    // Channels complete too.
    await page.locator("#to").fill("");
    await page.locator("#to").pressSequentially("#we");
    await page.locator('#completions li[data-value="#webapp"]').waitFor();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Tab");
    expect(await page.locator("#to").inputValue()).toBe("#webapp");
    // A post to a channel opens the channel, where it shows once.
    await page.locator("#text").fill("Release notes are in docs/releases.md");
    await page.keyboard.press("Control+Enter");
    await page.locator("#title", { hasText: "#webapp" }).waitFor();
    await page.locator("#messages .content", { hasText: "Release notes are in" }).waitFor();
    expect(await page.locator("#messages .content", { hasText: "Release notes are in" }).count()).toBe(1);
    expect(await page.locator("#conversations .preview", { hasText: "Release notes are in" }).count()).toBe(1);
  });

  test("search as you type marks its hits", async () => {
    await page.locator("#search").fill("");
    await page.locator("#search").pressSequentially("cursor");
    await page.locator("#title", { hasText: "result" }).waitFor();
    await page.locator("#messages mark", { hasText: "cursor" }).first().waitFor();
    expect(await page.locator("#messages .content", { hasText: "drops the cursor" }).count()).toBe(1);
    await page.keyboard.press("Escape");
    await page.locator("#title", { hasText: "result" }).waitFor({ state: "detached" }).catch(() => {});
  });

  test("keyboard: a / h jump to agents and channels, arrows move, Enter opens, j / k walk the conversations", async () => {
    await page.locator("body").click({ position: { x: 700, y: 5 } });
    await page.keyboard.press("a");
    expect(await page.evaluate("document.activeElement?.classList.contains('agent')")).toBe(true);
    const first = await page.evaluate("document.activeElement?.dataset.name");
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate("document.activeElement?.dataset.name")).not.toBe(first);
    await page.keyboard.press("h");
    expect(await page.evaluate("document.activeElement?.classList.contains('chan')")).toBe(true);
    await page.keyboard.press("Enter");
    await page.locator("#title", { hasText: "#" }).waitFor();
    await page.keyboard.press("j");
    await page.locator("#conversations button.current").waitFor();
    await page.keyboard.press("/");
    expect(await page.evaluate("document.activeElement?.id")).toBe("search");
    await page.keyboard.press("Escape");
  });

  test("keyboard focus stays on its row when the agents reload live", async () => {
    await page.locator("body").click({ position: { x: 700, y: 5 } });
    await page.keyboard.press("a");
    await page.keyboard.press("ArrowDown");
    const name = (await page.evaluate("document.activeElement?.dataset.name")) as string;
    expect(name).toBeString();
    // Marks the focused row; a reload draws new rows without the mark.
    await page.evaluate("document.activeElement.dataset.before = '1'");
    // A claim reloads the agents (their claims show there).
    await call("opencode-api", { op: "claim", project, paths: ["tests/focus.ts"], reason: "a reload of the agents" });
    const row = `#agents button[data-name="${name}"]`;
    await waitUntil(() => page.evaluate(`document.querySelector('${row}')?.dataset.before === undefined`), 10_000, "the agents to reload");
    expect(await page.evaluate("document.activeElement?.dataset.name")).toBe(name);
    // The claim goes again, before the screenshots.
    expect((await call("opencode-api", { op: "release", project, paths: ["tests/focus.ts"] })).released).toBe(1);
    await waitUntil(async () => (await page.locator("#claims li", { hasText: "tests/focus.ts" }).count()) === 0, 10_000, "the claim to leave the page");
  });

  test("posting as a person stays refused for a name an agent holds", async () => {
    await page.locator("#as").fill("codex-webapp");
    await page.locator("#to").fill("claude-webapp");
    await page.locator("#text").fill("I am codex, honest");
    await page.locator("#compose button[type=submit]").click();
    await page.locator("#sent", { hasText: "✗" }).waitFor();
    expect(await page.locator("#sent").textContent()).toContain("agent");
    const inbox = await call("claude-webapp", { op: "check", peek: true });
    expect(JSON.stringify(inbox.messages)).not.toContain("I am codex");
    await page.locator("#as").fill("you");
  });

  test("a claim made with the CLI shows; releasing it from the page tells its holder", async () => {
    const row = page.locator("#claims li", { hasText: "docs/**" });
    await row.waitFor();
    expect(await row.textContent()).toContain("rewriting the guide");
    expect(await row.textContent()).toContain("fred");
    expect(await row.locator(".ends").textContent()).toMatch(/^(19|20) min$/);
    expect(await row.locator(".meta").textContent()).toContain("webapp");
    // A claim refused for a conflict is not news.
    const refused = await clients.get("gemini-api")!.call({ id: nextId++, op: "claim", project, paths: ["src/api/**"] });
    expect(refused.error?.code).toBe("CLAIM_CONFLICT");
    await row.locator("button.release").click();
    await page.locator("#claim-status", { hasText: "released docs/**" }).waitFor();
    await row.waitFor({ state: "detached" });
    const inbox = await ipcJson<{ messages: { from: string; content: string }[] }>(e, ["check"], { env: { IPC_NAME: "fred" } });
    const notice = inbox.messages.find((m) => m.from === "you");
    expect(notice?.content).toContain("released your claim on docs/** in project");
    expect(notice?.content).toContain("rewriting the guide");
    const left = await ipcJson<{ claims: { path: string }[] }>(e, ["claims", "--all"], { env: { IPC_NAME: "fred" } }).catch(() => ({ claims: [] }));
    expect(left.claims.map((c) => c.path)).not.toContain("docs/**");
    await page.locator("#activity .a-released", { hasText: "fred" }).waitFor();
    expect(await page.locator("#activity .a-claimed", { hasText: "gemini-api" }).filter({ hasText: "src/api/**" }).count()).toBe(0);
    // A claim's reason, as every text from an agent, is a text node.
    expect(await page.locator("#claims .reason", { hasText: "onerror" }).textContent()).toBe(HOSTILE);
    expect(await page.locator("#claims img, #claims script, #activity img").count()).toBe(0);
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    await call("gemini-api", { op: "release", project, paths: ["api/orders.yaml"] });
  });

  test("screenshots: light, dark, 420 px, graph", async () => {
    await page.locator("#search").fill("");
    await page.locator("#text").fill("");
    await page.evaluate("document.getElementById('sent').textContent = ''; document.getElementById('claim-status').textContent = ''");
    await call("gemini-api", { op: "send", to: "#api", content: "Orders API v2 is frozen for the release." });
    await call("claude-webapp", { op: "claim", project, paths: ["src/web/routes.ts"], reason: "wiring the v2 routes", ttl_s: 600 });
    // One still queued, to show every state.
    await call("claude-webapp", { op: "send", to: "codex-webapp", content: "Ping me when the staging deploy is green." });
    await page.locator("#conversations button", { hasText: "claude-webapp ↔ codex-webapp" }).first().click();
    await page.locator("#messages .msg").first().waitFor();
    await Bun.sleep(1500); // the graph's layout settles
    await shot("dashboard.png");
    await shot("dashboard-graph.png", { selector: "#graph" });
    await page.emulateMedia({ colorScheme: "dark" });
    await shot("dashboard-dark.png");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 420, height: 900 });
    await shot("dashboard-420.png", { fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(errors).toEqual([]);
  }, 30_000);

  test("200 agents: every one on one line, grouped, paged", async () => {
    const hosts = ["claude", "codex", "gemini", "opencode"];
    const projects = ["webapp", "api", "mobile", "infra", "docs"];
    // 40 online (a connection each), 156 more registered and gone (one connection, registering in turn).
    const extra: RawClient[] = [];
    let n = 0;
    for (let i = 0; i < 40; i++, n++) {
      const c = await RawClient.connect(e.port);
      const r = await c.call({ id: 1, op: "register", name: `${hosts[n % 4]}-${projects[n % 5]}-${n}`, seat: { host: hosts[n % 4]!, pid: process.pid } });
      expect(r.ok).toBe(true);
      extra.push(c);
    }
    const gone = await RawClient.connect(e.port);
    for (; n < 196; n++) {
      const r = await gone.call({ id: n, op: "register", name: `${hosts[n % 4]}-${projects[n % 5]}-${n}`, seat: { host: hosts[n % 4]! } });
      expect(r.ok).toBe(true);
    }
    gone.close();
    try {
      await page.reload();
      await page.locator("#live.on").waitFor();
      await page.locator("#agent-count", { hasText: "of 202" }).waitFor();
      // A page of 200; the rest on demand.
      expect(await page.locator("#agents button.agent").count()).toBe(200);
      await page.locator("#more-agents").click();
      await page.locator("#agents button.agent").nth(201).waitFor();
      expect(await page.locator("#agents button.agent").count()).toBe(202);
      await page.locator("#agents").evaluate((a) => a.parentElement!.scrollTo(0, 0));
      const heights = await page.locator("#agents button.agent").evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height));
      expect(Math.max(...heights)).toBeLessThan(30);
      await Bun.sleep(1500);
      await shot("dashboard-200-agents.png");
      expect(errors).toEqual([]);
    } finally {
      for (const c of extra) c.close();
    }
  }, 60_000);
});
