/**
 * Across vendors, in one test: the real Claude Code, Codex and Gemini CLI (the
 * pinned devDependencies), each in tmux in its own project folder against a
 * local stand-in for its model API, each set up only by `ipc setup <host>
 * --write` (Codex and Gemini CLI with `--hooks`, Gemini CLI with `--trust`),
 * all on one real broker:
 * - Claude's scripted tool call (mcp__ipc__send) sends to Codex, whose armed
 *   wake waiter wakes it; Codex answers with its own scripted tool call, and
 *   Claude Code is woken through its own inbox (CLAUDE_CODE_MESSAGING_SOCKET).
 * - A post to a channel all three joined reaches each by its host's best path:
 *   Claude Code's inbox and Codex's waiter wake them; Gemini CLI, which nothing
 *   outside can wake, has it at its next turn (BeforeAgent hook); Claude's
 *   send to a busy Gemini CLI comes in the one more turn of its AfterAgent hook.
 * - Every message arrives once, and each `send` result names the state its path
 *   honestly reached: `delivered` where a leased deliverer put it into the model
 *   (Claude Code's inbox, Codex's waiter once `codex queue` took it),
 *   `notified` where a live process has it (Gemini CLI's MCP server, any
 *   channel post).
 * Skipped, saying why, where any of the three CLIs or tmux is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type ClaudeSession, claudeHome, claudeSkipReason, projectDir, sessionNames, startClaude, until } from "../helpers/claude-code.ts";
import { type CodexSession, codexHome, codexSkipReason, startCodex } from "../helpers/codex.ts";
import { type GeminiApi, lastUserText, startGeminiApi } from "../helpers/gemini-api.ts";
import { type GeminiSession, geminiHome, geminiSkipReason, startGemini } from "../helpers/gemini.ts";
import { type MessagesApi, startMessagesApi } from "../helpers/messages-api.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { type ResponsesApi, startResponsesApi } from "../helpers/responses-api.ts";

const skip = claudeSkipReason() ?? codexSkipReason() ?? geminiSkipReason();
if (skip !== null) console.warn(`skipping the cross-vendor test: ${skip}`);

/** Longest wait for a CLI to start, or for one hop of a conversation (ms); the test machine may be heavily loaded. */
const START_MS = 120_000;
const HOP_MS = 60_000;
/** Generous per-test limit (ms). */
const TEST_MS = 300_000;

/** How often `text` occurs in `body` (a request's whole text). */
const occurrences = (body: string, text: string) => body.split(text).length - 1;

/** The state a `send` tool result names ("Sent message #N to NAME: delivered: …"), or null. */
function sentState(text: string): string | null {
  return /Sent message #\d+ to [^:"\\]+: (delivered|notified|queued)/.exec(text)?.[1] ?? null;
}

/** The waiter pids holding a slot in IPC_HOME `home` ($IPC_HOME/wake/<pid>.json). */
function waiters(home: string): number[] {
  try {
    return readdirSync(join(home, "wake"))
      .filter((f) => /^\d+\.json$/.test(f))
      .flatMap((f) => {
        try {
          const pid = (JSON.parse(readFileSync(join(home, "wake", f), "utf8")) as { pid: number | null }).pid;
          return pid === null ? [] : [pid];
        } catch {
          return [];
        }
      });
  } catch {
    return [];
  }
}

/** Waits for the one new session name starting with `prefix` in IPC_HOME `home`. */
async function registered(home: string, prefix: string, screen: () => string): Promise<string> {
  let name: string | undefined;
  try {
    await until(() => (name = sessionNames(home).find((n) => n.startsWith(`${prefix}-`))) !== undefined, START_MS, `${prefix}'s MCP server to register`);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nscreen:\n${screen()}`);
  }
  return name!;
}

interface Seats {
  claude: { api: MessagesApi; cli: ClaudeSession; name: string };
  codex: { api: ResponsesApi; cli: CodexSession; name: string };
  gemini: { api: GeminiApi; cli: GeminiSession; name: string };
}

describe.skipIf(skip !== null)("Claude Code, Codex and Gemini CLI on one broker", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  const s = {} as Seats;
  const disposers: AsyncDisposable[] = [];

  beforeAll(async () => {
    e = ipcEnv();
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);

    const claudeSeat = async () => {
      const api = startMessagesApi();
      disposers.push(api);
      const project = projectDir("ipc-xv-claude-");
      const home = claudeHome([project]);
      expect((await ipc(e, ["setup", "claude-code", "--write", "--name", "cc"], { env: { HOME: home } })).code).toBe(0);
      const cli = startClaude({ home, project, apiUrl: api.url, args: ["--allowedTools", "mcp__ipc__send"] });
      disposers.push(cli);
      const name = await registered(e.home, "cc", cli.screen);
      await cli.ready(START_MS);
      s.claude = { api, cli, name };
    };
    const codexSeat = async () => {
      const api = startResponsesApi();
      disposers.push(api);
      const project = projectDir("ipc-xv-codex-");
      const home = codexHome(api.url, [project]);
      expect((await ipc(e, ["setup", "codex", "--write", "--hooks", "--name", "cx"], { env: { HOME: home } })).code).toBe(0);
      const cli = startCodex({ home, project });
      disposers.push(cli);
      await cli.trustHooks(START_MS);
      await cli.ready(START_MS);
      const name = await registered(e.home, "cx", cli.screen);
      s.codex = { api, cli, name };
    };
    const geminiSeat = async () => {
      const api = startGeminiApi();
      disposers.push(api);
      const project = projectDir("ipc-xv-gemini-");
      const home = geminiHome([]); // trusted by ipc setup --trust
      expect((await ipc(e, ["setup", "gemini", "--write", "--hooks", "--trust", "--name", "gm"], { env: { HOME: home }, cwd: project })).code).toBe(0);
      const cli = startGemini({ home, project, apiUrl: api.url, args: ["--yolo"] });
      disposers.push(cli);
      const name = await registered(e.home, "gm", cli.screen);
      await cli.ready(START_MS);
      s.gemini = { api, cli, name };
    };
    await Promise.all([claudeSeat(), codexSeat(), geminiSeat()]);

    // Codex runs SessionStart (which arms its wake waiter) at the first prompt.
    const from = s.codex.api.turns().length;
    await s.codex.cli.type("hello codex");
    if ((await s.codex.api.waitForTurn((r) => r.text.includes("hello codex"), HOP_MS, from)) === null) throw new Error(`no first Codex turn; screen:\n${s.codex.cli.screen()}`);
    await until(() => waiters(e.home).length === 1, HOP_MS, "Codex's SessionStart wake waiter");

    for (const name of ["alice", s.claude.name, s.codex.name, s.gemini.name]) expect((await ipc(e, ["channel", "join", "#crew", "--as", name])).code).toBe(0);
  }, 3 * START_MS);

  /** When `as` read the message with `text` (from `ipc history`), or undefined. Synchronous, for until(). */
  const readAt = (as: string, text: string): string | undefined => {
    const r = Bun.spawnSync([...ipcCommand(), "history", "--as", as, "--json"], { env: e.env, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) return undefined;
    const h = JSON.parse(r.stdout.toString());
    const list = (Array.isArray(h) ? h : h.messages) as Array<{ content: string; read_at?: string | null }>;
    return list.find((m) => m.content.includes(text))?.read_at ?? undefined;
  };

  /** The delivery records ipc mcp keeps under Claude Code ($IPC_HOME/inbox/<claude pid>.json). */
  const inboxRecords = (): Array<{ name: string; path: string; why: string }> => {
    try {
      return readdirSync(join(e.home, "inbox"))
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(readFileSync(join(e.home, "inbox", f), "utf8")));
    } catch {
      return [];
    }
  };

  afterAll(async () => {
    for (const d of disposers.reverse()) {
      try {
        await d[Symbol.asyncDispose]();
      } catch {}
    }
    await broker?.[Symbol.asyncDispose]();
  });

  test("Claude's tool call wakes Codex, whose tool call wakes Claude Code through its inbox; each hears delivered", async () => {
    const c2x = "claude to codex: please run the migration (note xv-c2x)";
    const x2c = "codex to claude: migration done (note xv-x2c)";
    s.claude.api.script.push({ tool: "mcp__ipc__send", input: { to: s.codex.name, content: c2x } }, { text: "asked codex" });
    s.codex.api.script.push({ tool: "send", namespace: "mcp__ipc", input: { to: s.claude.name, content: x2c } }, { text: "told claude" });
    const claudeFrom = s.claude.api.turns().length;
    const codexFrom = s.codex.api.turns().length;

    s.claude.cli.type("ask codex to run the migration");
    // Claude's send tool returned; its result (in the next request) names the state.
    const sent = await s.claude.api.waitForTurn((r) => r.text.includes("tool_result") && sentState(r.text) !== null, HOP_MS, claudeFrom);
    if (sent === null) throw new Error(`Claude's send did not return; screen:\n${s.claude.cli.screen()}`);
    // Codex's waiter is a leased deliverer: the sender hears delivered once `codex queue` started Codex's turn with it
    expect(sentState(sent.text)).toBe("delivered");

    const woken = await s.codex.api.waitForTurn((r) => r.text.includes("note xv-c2x"), HOP_MS, codexFrom);
    if (woken === null) throw new Error(`Codex not woken; screen:\n${s.codex.cli.screen()}`);
    expect(woken.text).toContain(`from ${s.claude.name}`);
    // the waiter marks it read once `codex queue` took it
    await until(() => readAt(s.claude.name, "note xv-c2x") !== undefined, HOP_MS, "Claude's message to be read", 500);

    const answered = await s.codex.api.waitForTurn((r) => r.text.includes("function_call_output") && sentState(r.text) !== null, HOP_MS, codexFrom);
    if (answered === null) throw new Error(`Codex's send did not return; screen:\n${s.codex.cli.screen()}`);
    expect(sentState(answered.text)).toBe("delivered"); // Claude Code's inbox took it into Claude

    const back = await s.claude.api.waitForTurn((r) => r.text.includes("note xv-x2c"), HOP_MS, claudeFrom);
    if (back === null) throw new Error(`Claude Code not woken; screen:\n${s.claude.cli.screen()}`);
    expect(back.text).toContain(`from ${s.codex.name}`);
    await until(() => s.claude.cli.screen().includes("note xv-x2c"), HOP_MS, "Codex's answer on Claude Code's screen");
    // ipc mcp says which path it used: Claude Code's own inbox (no hooks were installed for it)
    expect(inboxRecords().find((r) => r.name === s.claude.name)?.path).toBe("inbox");
    console.error(`cross-vendor: Claude's tool-result request → Codex's woken request ${Math.round(woken.at - sent.at)} ms; Codex's tool-result request → Claude Code's woken request ${Math.round(back.at - answered.at)} ms`);
  }, TEST_MS);

  test("a post to #crew reaches each host by its best path: Claude Code and Codex woken, Gemini CLI at its next turn", async () => {
    const claudeFrom = s.claude.api.turns().length;
    const codexFrom = s.codex.api.turns().length;
    const geminiFrom = s.gemini.api.turns().length;
    await until(() => waiters(e.home).length === 1, HOP_MS, "Codex's wake waiter, holding again");

    const post = await ipcJson(e, ["send", "#crew", "all hands: freeze main at noon (note xv-ch1)", "--as", "alice"]);
    const postedAt = performance.now();
    // a channel post reports the best state any member reached without waiting for a lease's outcome: live processes have it
    expect(post).toMatchObject({ to: "#crew", status: "notified" });
    // Gemini CLI cannot be woken: its live MCP server has the mail, its model sees it at the next turn
    const direct = await ipcJson(e, ["send", s.gemini.name, "gemini only: review the schema (note xv-gm1)", "--as", "alice"]);
    expect(direct.status).toBe("notified");

    const cc = await s.claude.api.waitForTurn((r) => r.text.includes("note xv-ch1"), HOP_MS, claudeFrom);
    if (cc === null) throw new Error(`Claude Code not woken by the post; screen:\n${s.claude.cli.screen()}`);
    const cx = await s.codex.api.waitForTurn((r) => r.text.includes("note xv-ch1"), HOP_MS, codexFrom);
    if (cx === null) throw new Error(`Codex not woken by the post; screen:\n${s.codex.cli.screen()}`);
    for (const r of [cc, cx]) expect(r.text).toContain("#crew");
    console.error(`cross-vendor: ipc send '#crew' returned → Claude Code's woken request ${Math.round(cc.at - postedAt)} ms, Codex's ${Math.round(cx.at - postedAt)} ms`);

    // nothing reached Gemini's model yet: it had no turn
    expect(s.gemini.api.turns().slice(geminiFrom).some((r) => r.text.includes("note xv-ch1"))).toBe(false);
    await s.gemini.cli.idle(HOP_MS);
    s.gemini.cli.type("anything new for me");
    const gm = await s.gemini.api.waitForTurn((r) => r.text.includes("anything new for me"), HOP_MS, geminiFrom);
    if (gm === null) throw new Error(`no Gemini turn; screen:\n${s.gemini.cli.screen()}`);
    expect(gm.text).toContain("note xv-ch1");
    expect(gm.text).toContain("note xv-gm1");

    // each recipient's copy is read now
    for (const name of [s.claude.name, s.codex.name, s.gemini.name]) await until(() => readAt(name, "note xv-ch1") !== undefined, HOP_MS, `${name}'s copy to be read`, 500);
    expect(readAt(s.gemini.name, "note xv-gm1")).toBeString();
  }, TEST_MS);

  test("Claude's tool call to a busy Gemini CLI says notified, and Gemini's AfterAgent hook hands it over in one more turn", async () => {
    const geminiFrom = s.gemini.api.turns().length;
    const claudeFrom = s.claude.api.turns().length;
    // a slow turn: the mail comes while it runs, after its BeforeAgent hook
    s.gemini.api.script.push({ text: "thinking hard", delayMs: 15_000 }, { text: "noted claude's mail" });
    await s.gemini.cli.idle(HOP_MS);
    s.gemini.cli.type("plan the release");
    const busy = await s.gemini.api.waitForTurn((r) => r.text.includes("plan the release"), HOP_MS, geminiFrom);
    if (busy === null) throw new Error(`no Gemini turn; screen:\n${s.gemini.cli.screen()}`);
    s.claude.api.script.push({ tool: "mcp__ipc__send", input: { to: s.gemini.name, content: "claude to gemini: the schema is frozen (note xv-c2g)" } }, { text: "told gemini" });
    s.claude.cli.type("tell gemini the schema is frozen");
    const toGemini = (r: { text: string }) => new RegExp(`Sent message #\\d+ to ${s.gemini.name}: (delivered|notified|queued)`).exec(r.text)?.[1] ?? null;
    const sent = await s.claude.api.waitForTurn((r) => toGemini(r) !== null, HOP_MS, claudeFrom);
    if (sent === null) throw new Error(`Claude's send did not return; screen:\n${s.claude.cli.screen()}`);
    expect(toGemini(sent)).toBe("notified"); // Gemini CLI's MCP server has it; nothing outside can start its turn
    const more = await s.gemini.api.waitForTurn((r) => lastUserText(r.body).includes("note xv-c2g"), HOP_MS, geminiFrom);
    if (more === null) throw new Error(`no AfterAgent turn; screen:\n${s.gemini.cli.screen()}`);
    expect(more.at).toBeGreaterThan(busy.at);
    expect(lastUserText(more.body)).toContain(`from ${s.claude.name}`);
    await until(() => readAt(s.gemini.name, "note xv-c2g") !== undefined, HOP_MS, "Claude's message to Gemini to be read", 500);
    await until(() => s.gemini.cli.screen().includes("noted claude's mail"), HOP_MS, "the extra turn's answer on Gemini CLI's screen");
  }, TEST_MS);

  test("every message reached each model once", async () => {
    // let any second delivery (a hook, a waiter, an extra turn) happen, then settle
    const counts = () => [s.claude.api.turns().length, s.codex.api.turns().length, s.gemini.api.turns().length].join();
    let last = counts();
    let since = performance.now();
    await until(() => {
      const now = counts();
      if (now !== last) (last = now), (since = performance.now());
      return performance.now() - since > 5_000;
    }, HOP_MS, "the three sessions to settle", 250);

    const lastText = (turns: Array<{ text: string }>) => turns.at(-1)?.text ?? "";
    const received: Array<[string, string, string[]]> = [
      ["Claude Code", lastText(s.claude.api.turns()), ["note xv-x2c", "note xv-ch1"]],
      ["Codex", lastText(s.codex.api.turns()), ["note xv-c2x", "note xv-ch1"]],
      ["Gemini CLI", lastText(s.gemini.api.turns()), ["note xv-ch1", "note xv-gm1", "note xv-c2g"]],
    ];
    for (const [host, text, notes] of received) for (const note of notes) expect({ host, note, times: occurrences(text, note) }).toEqual({ host, note, times: 1 });
  }, TEST_MS);
});
