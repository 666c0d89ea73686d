/**
 * The OpenCode wake plugin that `ipc setup opencode --write --hooks` writes,
 * loaded here as OpenCode loads it (an ES module whose export gets a client of
 * OpenCode's server), with a stand-in for that client (the real OpenCode runs
 * in tests/e2e/opencode-wake.test.ts): its waiter is the real `ipc hook
 * opencode --wake --confirm` against a real broker. Mail counts as delivered
 * only once the plugin started a turn with it: the sender hears `delivered`
 * and it is read; when OpenCode refuses the turn, or the session is busy, it
 * stays unread and the sender hears `notified`, and a busy session gets it
 * when it goes idle.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { until } from "../helpers/claude-code.ts";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";

interface Stand {
  prompts: string[];
  logs: string[];
  /** When set, session.promptAsync fails with it. */
  refuse: string | null;
  hooks: { event: (e: { event: { type: string; properties?: Record<string, unknown> } }) => Promise<void> };
}

/** The plugin, set up for the fixed name `oc` in `e` (`--scope project --name oc`), loaded with a stand-in client. */
async function loadPlugin(e: IpcEnv): Promise<Stand> {
  // project scope: the waiter acts as the fixed name (--as oc), not the MCP session of OpenCode
  const project = mkdtempSync(join(tmpdir(), "ipc-oc-plugin-project-"));
  const homeDir = mkdtempSync(join(tmpdir(), "ipc-oc-plugin-home-"));
  expect((await ipc(e, ["setup", "opencode", "--write", "--hooks", "--scope", "project", "--dir", project, "--name", "oc"], { env: { HOME: homeDir, XDG_CONFIG_HOME: "" } })).code).toBe(0);
  const mod = await import(join(project, ".opencode", "plugins", "ipc-wake.js"));
  const stand: Stand = { prompts: [], logs: [], refuse: null, hooks: null as never };
  const client = {
    app: { log: async ({ body }: { body: { message: string } }) => void stand.logs.push(body.message) },
    session: {
      promptAsync: async ({ body }: { body: { parts: Array<{ text: string }> } }) => {
        if (stand.refuse !== null) throw new Error(stand.refuse);
        stand.prompts.push(body.parts.map((p) => p.text).join("\n"));
      },
    },
    tui: { appendPrompt: async () => {}, submitPrompt: async () => {} },
  };
  stand.hooks = await mod.IpcWake({ client });
  await stand.hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_1" } } });
  return stand;
}

/** Ends the waiters the plugin started for `e` (their slots: $IPC_HOME/wake/<host pid>.json). */
function stopWaiters(e: IpcEnv): void {
  for (const f of existsSync(join(e.home, "wake")) ? readdirSync(join(e.home, "wake")) : []) {
    try {
      const pid = (JSON.parse(readFileSync(join(e.home, "wake", f), "utf8")) as { pid?: unknown }).pid;
      if (typeof pid === "number") process.kill(pid);
    } catch {}
  }
}

/** Whether the message with `text` is read, as its sender sees it. */
async function readAt(e: IpcEnv, text: string): Promise<string | undefined> {
  const h = await ipcJson(e, ["history", "--as", "alice"]);
  const list = (Array.isArray(h) ? h : h.messages) as Array<{ content: string; read_at?: string }>;
  return list.find((m) => m.content.includes(text))?.read_at;
}

describe("the OpenCode wake plugin", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  async function world(): Promise<{ e: IpcEnv; stand: Stand }> {
    const e = ipcEnv();
    const broker = await startBrokerProcess(e);
    cleanup.push(async () => await broker[Symbol.asyncDispose]());
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    expect((await ipc(e, ["register", "oc"])).code).toBe(0);
    const stand = await loadPlugin(e);
    cleanup.push(async () => stopWaiters(e));
    // the waiter holds its wait once it took its slot ($IPC_HOME/wake/<host pid>.json)
    await until(() => existsSync(join(e.home, "wake")) && readdirSync(join(e.home, "wake")).some((f) => /^\d+\.json$/.test(f)), 15_000, "the waiter's slot");
    await Bun.sleep(1_000);
    return { e, stand };
  }

  test("a turn started with the mail: the sender hears delivered, and it is read", async () => {
    const { e, stand } = await world();
    const sent = await ipc(e, ["send", "oc", "the build is green (note 3e1b)", "--as", "alice"]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain("delivered");
    await until(() => stand.prompts.length === 1, 10_000, "the turn");
    expect(stand.prompts[0]).toContain("the build is green (note 3e1b)");
    expect(await readAt(e, "note 3e1b")).toBeString();
  }, 30_000);

  test("OpenCode refuses the turn: the mail stays unread and the sender hears notified", async () => {
    const { e, stand } = await world();
    stand.refuse = "session not found";
    const sent = await ipc(e, ["send", "oc", "keep the old API (note 9d2f)", "--as", "alice"]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain("notified");
    await until(() => stand.logs.some((l) => l.includes("could not start a turn")), 10_000, "the plugin's log line");
    expect(stand.prompts).toEqual([]);
    expect(await readAt(e, "note 9d2f")).toBeUndefined();
  }, 30_000);

  test("mail for a busy session stays unread until it goes idle, then starts one turn", async () => {
    const { e, stand } = await world();
    await stand.hooks.event({ event: { type: "session.status", properties: { sessionID: "ses_1", status: { type: "busy" } } } });
    const sent = await ipc(e, ["send", "oc", "the schema changed (note 5a7c)", "--as", "alice"]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain("notified");
    await Bun.sleep(1_000);
    expect(stand.prompts).toEqual([]);
    expect(await readAt(e, "note 5a7c")).toBeUndefined();
    await stand.hooks.event({ event: { type: "session.idle", properties: { sessionID: "ses_1" } } });
    await until(() => stand.prompts.length === 1, 10_000, "the turn at idle");
    expect(stand.prompts[0]).toContain("the schema changed (note 5a7c)");
    for (let i = 0; i < 50 && (await readAt(e, "note 5a7c")) === undefined; i++) await Bun.sleep(200);
    expect(await readAt(e, "note 5a7c")).toBeString();
  }, 30_000);
});
