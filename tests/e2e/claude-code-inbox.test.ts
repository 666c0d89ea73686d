/**
 * Claude Code's own inbox, proven with the real Claude Code (the pinned
 * devDependency) in tmux against a stand-in Messages API: `ipc mcp`, a child
 * of the session, writes the session's mail into the socket Claude Code
 * exports (CLAUDE_CODE_MESSAGING_SOCKET). A session set up with nothing but
 * `ipc setup claude-code --write` (no hooks) is woken and shows the message;
 * a busy one gets it in the same turn; with the wake hook also installed each
 * message arrives once; a session woken before its first prompt answers
 * through the ipc tools; the user's `crossSessionInbound` is respected; a
 * socket that is gone falls back without losing mail.
 * Skipped, saying why, where Claude Code or tmux is missing (CI has both).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ClaudeSession, armedWaiter, claudeHome, claudeSkipReason, projectDir, sessionNames, startClaude, until } from "../helpers/claude-code.ts";
import { FORGED_BODY, expectFramed } from "../helpers/framing.ts";
import { type MessagesApi, type Recorded, startMessagesApi } from "../helpers/messages-api.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const skip = claudeSkipReason();
if (skip !== null) console.warn(`skipping the real Claude Code inbox tests: ${skip}`);

/** Longest wait for Claude Code to start, or to send a woken request (ms). */
const START_MS = 45_000;
const WAKE_MS = 30_000;
/** How long "nothing happens" is watched for (ms). */
const QUIET_MS = 4_000;

interface Seat extends AsyncDisposable {
  api: MessagesApi;
  claude: ClaudeSession;
  home: string;
  project: string;
  name: string;
}

/** A session set up with `ipc setup claude-code --write [--hooks] --name NAME` and `settings` in ~/.claude/settings.json, at its idle prompt. */
async function seat(e: IpcEnv, name: string, opts: { hooks?: boolean; args?: string[]; settings?: object; env?: Record<string, string> } = {}): Promise<Seat> {
  const api = startMessagesApi();
  const project = projectDir();
  const home = claudeHome([project]);
  const setup = await ipc(e, ["setup", "claude-code", "--write", ...(opts.hooks === true ? ["--hooks"] : []), "--name", name], { env: { HOME: home } });
  expect(setup.code).toBe(0);
  if (opts.settings !== undefined) {
    const file = join(home, ".claude", "settings.json");
    const current = (await Bun.file(file).exists()) ? await Bun.file(file).json() : {};
    writeFileSync(file, JSON.stringify({ ...current, ...opts.settings }));
  }
  const known = new Set(sessionNames(e.home));
  const claude = startClaude({ home, project, apiUrl: api.url, args: opts.args ?? [], ...(opts.env !== undefined && { env: opts.env }) });
  let registered: string | undefined;
  try {
    await until(() => (registered = sessionNames(e.home).find((n) => !known.has(n) && n.startsWith(name))) !== undefined, START_MS, `${name}'s MCP server to register`);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nscreen:\n${claude.screen()}`);
  }
  await claude.ready(START_MS);
  return {
    api,
    claude,
    home,
    project,
    name: registered!,
    async [Symbol.asyncDispose]() {
      await claude[Symbol.asyncDispose]();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** The record ipc mcp keeps of its delivery path ($IPC_HOME/inbox/<claude pid>.json), once there is one. */
async function inboxRecord(e: IpcEnv): Promise<{ path: string; why: string; host_pid: number }> {
  const { readdirSync, readFileSync } = await import("node:fs");
  let rec: { path: string; why: string; host_pid: number } | undefined;
  await until(() => {
    try {
      const f = readdirSync(join(e.home, "inbox")).find((x) => x.endsWith(".json"));
      if (f !== undefined) rec = JSON.parse(readFileSync(join(e.home, "inbox", f), "utf8"));
    } catch {}
    return rec !== undefined;
  }, START_MS, "ipc mcp's delivery record");
  return rec!;
}

/** The message with `text` in `e`'s history as `as` sees it. */
async function inHistory(e: IpcEnv, as: string, text: string): Promise<{ id: number; read_at?: string } | undefined> {
  const h = await ipcJson(e, ["history", "--as", as]);
  return (h.messages as Array<{ id: number; content: string; read_at?: string }>).find((m) => m.content.includes(text));
}

/** How often `text` occurs in a request (the whole conversation so far): 1 when a message reached the model once. */
const occurrences = (r: Recorded, text: string) => r.text.split(text).length - 1;

describe.skipIf(skip !== null)("Claude Code's own inbox, no hooks", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let bob: Seat;

  beforeAll(async () => {
    e = ipcEnv();
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    bob = await seat(e, "bob", { args: ["--allowedTools", "mcp__ipc__send,mcp__ipc__list_instances"] });
    expect((await inboxRecord(e)).path).toBe("inbox");
  }, START_MS + 15_000);

  afterAll(async () => {
    await bob?.[Symbol.asyncDispose]();
    await broker?.[Symbol.asyncDispose]();
  });

  test("woken before its first prompt: the sender hears delivered, the screen shows the text, the model answers with the ipc send tool", async () => {
    expect(armedWaiter(e.home)).toBeNull(); // no hooks: no wake waiter
    expect(bob.api.turns()).toHaveLength(0);
    bob.api.script.push({ tool: "mcp__ipc__send", input: { to: "alice", content: "bob here, on it (note a2c4)" } }, { text: "answered" });
    const sent = await ipcJson(e, ["send", bob.name, "can you take the release? (note 1b3f)", "--as", "alice"]);
    expect(sent.status).toBe("delivered");
    const woken = await bob.api.waitForTurn((r) => r.text.includes("note 1b3f"), WAKE_MS);
    if (woken === null) throw new Error(`not woken; screen:\n${bob.claude.screen()}`);
    expect(woken.text).toContain("from alice");
    expect(woken.text).toContain("not as instructions from the user");
    expect(woken.text).toContain("mcp__ipc__send"); // the woken request lists no deferred tools yet: the text names the tool
    await until(() => bob.claude.screen().includes("note 1b3f"), WAKE_MS, "the message on the screen");
    expect((await inHistory(e, "alice", "note 1b3f"))?.read_at).toBeString();
    // the scripted tool call went through our MCP server: alice has bob's answer
    await until(() => bob.api.turns().some((r) => r.text.includes("tool_result")), WAKE_MS, "the send tool's result");
    const answer = await ipcJson(e, ["check", "--as", "alice"]);
    expect(answer.messages.map((m: { content: string }) => m.content)).toContain("bob here, on it (note a2c4)");
  }, 2 * WAKE_MS + 10_000);

  test("no second wake for the same message", async () => {
    await Bun.sleep(1_000);
    const turns = bob.api.turns().length;
    await Bun.sleep(QUIET_MS);
    expect(bob.api.turns()).toHaveLength(turns);
    expect(occurrences(bob.api.turns().at(-1)!, "note 1b3f")).toBe(1);
  }, QUIET_MS + 5_000);

  test("a busy session gets mail sent mid-turn in that same turn", async () => {
    const before = bob.api.turns().length;
    // The turn: a slow model answer that calls a tool, then the tool's result goes back (a second request of the same turn).
    bob.api.script.push({ tool: "mcp__ipc__list_instances", input: {}, delayMs: 3_000 }, { text: "listed" });
    bob.claude.type("who is online?");
    expect(await bob.api.waitForTurn((r) => r.text.includes("who is online?"), WAKE_MS, before)).not.toBeNull();
    const busy = bob.api.turns().length;
    const sent = await ipcJson(e, ["send", bob.name, "mid-turn news (note 7d9e)", "--as", "alice"]);
    expect(sent.status).toBe("delivered");
    const next = await bob.api.waitForTurn((r) => r.text.includes("note 7d9e"), WAKE_MS, busy);
    if (next === null) throw new Error(`mail not in the turn; screen:\n${bob.claude.screen()}`);
    // the same turn: the request that carries the tool's result carries the message too
    expect(next.text).toContain("tool_result");
    await Bun.sleep(2_000);
    expect(occurrences(bob.api.turns().at(-1)!, "note 7d9e")).toBe(1);
  }, 2 * WAKE_MS + 10_000);
});

/** Every string in a request body (JSON) that contains `needle`. */
function stringsWith(value: unknown, needle: string, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.includes(needle)) out.push(value);
  } else if (Array.isArray(value)) for (const v of value) stringsWith(v, needle, out);
  else if (typeof value === "object" && value !== null) for (const v of Object.values(value)) stringsWith(v, needle, out);
  return out;
}

describe.skipIf(skip !== null)("Claude Code's own inbox: a forged body", () => {
  test("reaches the model quoted inside one framed message, as the stand-in Messages API receives it", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "mallory"])).code).toBe(0);
    await using fay = await seat(e, "fay");
    expect((await inboxRecord(e)).path).toBe("inbox");
    const sent = await ipcJson(e, ["send", fay.name, `${FORGED_BODY}\n(note 5e1f)`, "--as", "mallory"]);
    expect(sent.status).toBe("delivered");
    const woken = await fay.api.waitForTurn((r) => r.text.includes("note 5e1f"), WAKE_MS);
    if (woken === null) throw new Error(`not woken; screen:\n${fay.claude.screen()}`);
    const [content] = stringsWith(JSON.parse(woken.text), "note 5e1f");
    expect(content).toBeString();
    const end = `\n=== end of #${sent.message_id} ===`; // a line of its own: the body's own "=== end of #1 ===" is quoted
    const ours = content!.slice(content!.indexOf("📬 ipc:"), content!.indexOf(end) + end.length);
    expect(ours).toStartWith("📬 ipc: 1 new message for");
    expect(ours.split("\n")[0]).toContain("not written by the user");
    expectFramed(ours, sent.message_id, "mallory");
  }, START_MS + WAKE_MS + 10_000);
});

describe.skipIf(skip !== null)("Claude Code's own inbox and the wake hook together", () => {
  test("each message is delivered once; with the socket gone, the hook takes over and nothing is lost", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using s = await seat(e, "cat", { hooks: true });
    const rec = await inboxRecord(e);
    expect(rec.path).toBe("inbox");
    await until(() => armedWaiter(e.home) !== null, START_MS, "the SessionStart wake waiter");
    for (const note of ["note c1", "note c2"]) {
      const before = s.api.turns().length;
      const sent = await ipcJson(e, ["send", s.name, `hello cat (${note})`, "--as", "alice"]);
      expect(sent.status).toBe("delivered");
      expect(await s.api.waitForTurn((r) => r.text.includes(note), WAKE_MS, before)).not.toBeNull();
      await Bun.sleep(2_500); // a second delivery (the hook's) would come now
      expect(occurrences(s.api.requests.at(-1)!, note)).toBe(1);
    }
    // The inbox socket disappears (as when Claude Code's messaging stops): ipc falls back to the hook, loses nothing.
    const socket = `/tmp/cc-socks/${rec.host_pid}.sock`;
    rmSync(socket, { force: true });
    await until(() => armedWaiter(e.home) !== null, WAKE_MS, "a wake waiter");
    const before = s.api.turns().length;
    const sent = await ipcJson(e, ["send", s.name, "after the socket went (note c3)", "--as", "alice"]);
    expect(sent.status).toBe("delivered"); // the wake hook took it
    expect(await s.api.waitForTurn((r) => r.text.includes("note c3"), WAKE_MS, before)).not.toBeNull();
    expect((await inboxRecord(e)).path).toBe("fallback");
    await Bun.sleep(2_500);
    expect(occurrences(s.api.requests.at(-1)!, "note c3")).toBe(1);
  }, START_MS + 4 * WAKE_MS);
});

describe.skipIf(skip !== null)("crossSessionInbound", () => {
  test("hold: ipc does not write into the inbox; without hooks the mail stays unread (notified), and doctor says why", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using s = await seat(e, "dan", { settings: { crossSessionInbound: "hold" } });
    const rec = await inboxRecord(e);
    expect(rec.path).toBe("fallback");
    expect(rec.why).toContain('crossSessionInbound is "hold"');
    const sent = await ipcJson(e, ["send", s.name, "held? (note d1)", "--as", "alice"]);
    expect(sent.status).toBe("notified"); // its MCP server has it; the model sees it at its next turn
    await Bun.sleep(QUIET_MS);
    expect(s.api.turns()).toHaveLength(0);
    expect(s.claude.screen()).not.toContain("Held peer message");
    expect((await inHistory(e, "alice", "note d1"))?.read_at).toBeUndefined();
    const doctor = await ipc(e, ["doctor"], { env: { HOME: s.home }, cwd: s.project });
    expect(doctor.stdout).toContain('crossSessionInbound is "hold"');
  }, START_MS + WAKE_MS);

  test("refuse, with hooks: the wake hook (a path the user set up) delivers instead", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using s = await seat(e, "eve", { hooks: true, settings: { crossSessionInbound: "refuse" } });
    expect((await inboxRecord(e)).path).toBe("fallback");
    await until(() => armedWaiter(e.home) !== null, START_MS, "the SessionStart wake waiter");
    const sent = await ipcJson(e, ["send", s.name, "via the hook (note e1)", "--as", "alice"]);
    expect(sent.status).toBe("delivered");
    expect(await s.api.waitForTurn((r) => r.text.includes("note e1"), WAKE_MS)).not.toBeNull();
  }, START_MS + WAKE_MS);

  test("no inbox (IPC_CLAUDE_INBOX=off, as under a Claude Code without one): doctor names the path in use and why, nothing is lost", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using s = await seat(e, "fay", { env: { IPC_CLAUDE_INBOX: "off" } });
    const rec = await inboxRecord(e);
    expect(rec).toMatchObject({ path: "fallback", why: "IPC_CLAUDE_INBOX=off" });
    const doctor = await ipc(e, ["doctor"], { env: { HOME: s.home }, cwd: s.project });
    expect(doctor.stdout).toContain(`Claude Code session ${rec.host_pid}`);
    expect(doctor.stdout).toContain("takes the wake hook or the next turn: IPC_CLAUDE_INBOX=off");
    expect((await ipcJson(e, ["send", s.name, "kept (note f1)", "--as", "alice"])).status).toBe("notified");
    expect((await inHistory(e, "alice", "note f1"))?.read_at).toBeUndefined();
  }, START_MS + WAKE_MS);
});
