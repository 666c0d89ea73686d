/**
 * Wake, proven with the real Claude Code (the pinned devDependency) running
 * interactively in tmux against a stand-in Messages API: a session set up
 * only with `ipc setup claude-code --write --hooks` is woken at its idle
 * prompt by `ipc send`, once per message, also after a busy turn; and a
 * scripted `send` tool call of one session wakes another. ipc mcp is told to
 * leave Claude Code's own inbox alone (IPC_CLAUDE_INBOX=off), so the hook's
 * path is what is proven here.
 * Skipped, saying why, where Claude Code or tmux is missing (CI has both).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ClaudeSession, armedWaiter as armedIn, claudeHome, claudePrint, claudeSkipReason, projectDir, sessionNames, startClaude, until } from "../helpers/claude-code.ts";
import { type MessagesApi, startMessagesApi } from "../helpers/messages-api.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const skip = claudeSkipReason();

/**
 * The hook's path is what this file proves: ipc mcp leaves Claude Code's own inbox alone
 * (that path: claude-code-inbox.test.ts), as under a Claude Code without one.
 */
const HOOK_PATH = { IPC_CLAUDE_INBOX: "off" };
if (skip !== null) console.warn(`skipping the real Claude Code wake tests: ${skip}`);

/** Longest wait for Claude Code to start, or to send a woken request (ms). */
const START_MS = 45_000;
const WAKE_MS = 30_000;
/** How long "nothing happens" is watched for (ms). */
const QUIET_MS = 4_000;

/**
 * A Claude Code session set up with `ipc setup claude-code --write --hooks --name NAME`, at its idle
 * prompt, and the name its MCP server registered: NAME where --name is the session's name, or the
 * `NAME-<project>` a user-scope seat template gives (docs/identity.md) — whichever appears.
 */
async function seat(e: IpcEnv, name: string, args: string[] = []): Promise<{ api: MessagesApi; claude: ClaudeSession; home: string; name: string } & AsyncDisposable> {
  const api = startMessagesApi();
  const project = projectDir();
  const home = claudeHome([project]);
  const setup = await ipc(e, ["setup", "claude-code", "--write", "--hooks", "--name", name], { env: { HOME: home } });
  expect(setup.code).toBe(0);
  const known = new Set(sessionNames(e.home));
  const claude = startClaude({ home, project, apiUrl: api.url, args, env: HOOK_PATH });
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
    name: registered!,
    async [Symbol.asyncDispose]() {
      await claude[Symbol.asyncDispose]();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** The message with `text` in `e`'s history as `as` sees it. */
async function inHistory(e: IpcEnv, as: string, text: string): Promise<{ read_at?: string } | undefined> {
  const h = await ipcJson(e, ["history", "--as", as]);
  const list = (Array.isArray(h) ? h : h.messages) as Array<{ content: string; read_at?: string }>;
  return list.find((m) => m.content.includes(text));
}

/** The pid of the wake waiter armed in `e`'s IPC_HOME (one host session), or null. */
const armedWaiter = (e: IpcEnv) => armedIn(e.home);

describe.skipIf(skip !== null)("an idle Claude Code session is woken by mail", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let bob: Awaited<ReturnType<typeof seat>>;

  beforeAll(async () => {
    e = ipcEnv();
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    bob = await seat(e, "bob");
    await until(() => armedWaiter(e) !== null, START_MS, "the SessionStart wake waiter");
  }, START_MS + 15_000);

  afterAll(async () => {
    await bob?.[Symbol.asyncDispose]();
    await broker?.[Symbol.asyncDispose]();
  });

  test("ipc send from another shell starts a turn whose request carries the message", async () => {
    expect(bob.api.turns()).toHaveLength(0); // idle: no turn yet
    const sent = await ipc(e, ["send", bob.name, "the build on main is green (note 7f3a)", "--as", "alice"]);
    expect(sent.code).toBe(0);
    const woken = await bob.api.waitForTurn((r) => r.text.includes("the build on main is green (note 7f3a)"), WAKE_MS);
    expect(woken).not.toBeNull();
    expect(woken!.text).toContain("from alice");
    expect(woken!.text).toContain("not as instructions from the user");
    // shown by the wake: read, and still in history
    const kept = await inHistory(e, "alice", "note 7f3a");
    expect(kept).toBeDefined();
    expect(kept!.read_at).toBeString();
  }, WAKE_MS + 10_000);

  test("no second wake for the same message, and none while nothing arrives", async () => {
    const turns = bob.api.turns().length;
    await Bun.sleep(QUIET_MS);
    expect(bob.api.turns()).toHaveLength(turns);
    // the woken turn's Stop hook armed a new waiter
    expect(armedWaiter(e)).not.toBeNull();
  }, QUIET_MS + 5_000);

  test("mail arriving while the session is busy reaches the model in that turn's next request or right after it", async () => {
    const before = bob.api.turns().length;
    bob.api.script.push({ text: "thinking hard", delayMs: 3_000 });
    bob.claude.type("plan the release");
    expect(await bob.api.waitForTurn((r) => r.text.includes("plan the release"), WAKE_MS, before)).not.toBeNull();
    const busy = bob.api.turns().length;
    expect((await ipc(e, ["send", bob.name, "release notes are in docs/ (note 2b8e)", "--as", "alice"])).code).toBe(0);
    expect(await bob.api.waitForTurn((r) => r.text.includes("note 2b8e"), WAKE_MS, busy)).not.toBeNull();
    // the wake during the busy turn counts once: once the session is idle again, nothing more follows
    await Bun.sleep(2_000);
    const settled = bob.api.turns().length;
    await Bun.sleep(QUIET_MS);
    expect(bob.api.turns()).toHaveLength(settled);
  }, 2 * WAKE_MS + QUIET_MS + 5_000);

  test("after a busy turn of its own, the idle session is woken again", async () => {
    const before = bob.api.turns().length;
    bob.claude.type("summarise the repository");
    expect(await bob.api.waitForTurn((r) => r.text.includes("summarise the repository"), WAKE_MS, before)).not.toBeNull();
    const waiter = armedWaiter(e);
    // the turn ends (the stand-in answers "ok"); its Stop hook arms a newer waiter
    await until(() => armedWaiter(e) !== null && armedWaiter(e) !== waiter, WAKE_MS, "the Stop hook's waiter");
    const busyDone = bob.api.turns().length;
    expect((await ipc(e, ["send", bob.name, "please rebase on main (note 9c1d)", "--as", "alice"])).code).toBe(0);
    const woken = await bob.api.waitForTurn((r) => r.text.includes("note 9c1d"), WAKE_MS, busyDone);
    expect(woken).not.toBeNull();
  }, 3 * WAKE_MS);
});

describe.skipIf(skip !== null)("claude -p (print mode)", () => {
  test("is not held up by the wake waiter: nothing to wake, so no waiter stays", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await using api = startMessagesApi();
    const project = projectDir();
    const home = claudeHome([project]);
    expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks", "--name", "pat"], { env: { HOME: home } })).code).toBe(0);
    expect((await ipc(e, ["register", "pat"])).code).toBe(0);
    await using claude = claudePrint({ home, project, apiUrl: api.url, prompt: "say hi" });
    // Claude Code waits up to 30 s for background hooks before it exits; a waiter that stayed would hold it that long
    const code = await Promise.race([claude.exited, Bun.sleep(20_000).then(() => "still running after 20 s")]);
    expect(code).toBe(0);
    expect(api.turns().length).toBeGreaterThan(0);
  }, START_MS);
});

describe.skipIf(skip !== null)("a session without a fixed name", () => {
  test("set up without --name, it registers through the MCP register tool and is woken under that name", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using api = startMessagesApi();
    const project = projectDir();
    const home = claudeHome([project]);
    expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks"], { env: { HOME: home } })).code).toBe(0);
    await using claude = startClaude({ home, project, apiUrl: api.url, args: ["--allowedTools", "mcp__ipc__register"], env: HOOK_PATH });
    api.script.push({ tool: "mcp__ipc__register", input: { name: "zed" } }, { text: "registered" });
    await claude.ready(START_MS);
    claude.type("register as zed");
    const registered = await api.waitForTurn((r) => r.text.includes("tool_result"), START_MS);
    if (registered === null) throw new Error(`no register tool call; screen:\n${claude.screen()}`);
    // the turn's Stop hook arms a waiter that finds the name through the host's MCP server
    await until(() => armedWaiter(e) !== null, WAKE_MS, "the Stop hook's waiter");
    await Bun.sleep(1_000);
    const before = api.turns().length;
    expect((await ipc(e, ["send", "zed", "welcome, zed (note 6a1f)", "--as", "alice"])).code).toBe(0);
    expect(await api.waitForTurn((r) => r.text.includes("note 6a1f"), WAKE_MS, before)).not.toBeNull();
  }, START_MS + 3 * WAKE_MS);
});

describe.skipIf(skip !== null)("two sessions from one user-scope entry", () => {
  test("in two folders with their own names, each waiter wakes its own session only", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    const projects = [projectDir(), projectDir()];
    const home = claudeHome(projects);
    expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks"], { env: { HOME: home } })).code).toBe(0);
    await using leftApi = startMessagesApi();
    await using rightApi = startMessagesApi();
    const args = ["--allowedTools", "mcp__ipc__register"];
    await using left = startClaude({ home, project: projects[0]!, apiUrl: leftApi.url, args, env: HOOK_PATH });
    await using right = startClaude({ home, project: projects[1]!, apiUrl: rightApi.url, args, env: HOOK_PATH });
    for (const [claude, api, name] of [[left, leftApi, "lefty"], [right, rightApi, "righty"]] as const) {
      api.script.push({ tool: "mcp__ipc__register", input: { name } }, { text: "registered" });
      await claude.ready(START_MS);
      claude.type(`register as ${name}`);
      expect(await api.waitForTurn((r) => r.text.includes("tool_result"), START_MS)).not.toBeNull();
    }
    await Bun.sleep(2_000); // both turns end; their Stop hooks arm waiters
    const leftTurns = leftApi.turns().length;
    expect((await ipc(e, ["send", "righty", "for the right one (note 3c7d)", "--as", "alice"])).code).toBe(0);
    expect(await rightApi.waitForTurn((r) => r.text.includes("note 3c7d"), WAKE_MS)).not.toBeNull();
    expect((await ipc(e, ["send", "lefty", "for the left one (note 8e2a)", "--as", "alice"])).code).toBe(0);
    expect(await leftApi.waitForTurn((r) => r.text.includes("note 8e2a"), WAKE_MS, leftTurns)).not.toBeNull();
    expect(leftApi.requests.some((r) => r.text.includes("note 3c7d"))).toBe(false);
    expect(rightApi.requests.some((r) => r.text.includes("note 8e2a"))).toBe(false);
  }, 2 * START_MS + 2 * WAKE_MS);
});

/** True when `ipc setup` at user scope gives each session a name of its own (a seat template, IPC_SEAT: docs/identity.md). */
function seatsByDefault(): boolean {
  const r = Bun.spawnSync([...ipcCommand(), "setup", "claude-code", "--json"], { env: { ...process.env, HOME: projectDir() }, stdout: "pipe", stderr: "ignore" });
  try {
    return JSON.stringify(JSON.parse(r.stdout.toString())).includes("IPC_SEAT");
  } catch {
    return false;
  }
}
const seats = skip === null && seatsByDefault();
if (skip === null && !seats) console.warn("skipping the default-names wake test: this build's user-scope entry gives sessions no names of their own (IPC_SEAT)");

describe.skipIf(!seats)("two sessions from one user-scope entry, default names", () => {
  test("two folders get two names, and a message to one wakes only that one", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    const projects = [projectDir("webapp-"), projectDir("backend-")];
    const home = claudeHome(projects);
    expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks"], { env: { HOME: home } })).code).toBe(0);
    await using apiA = startMessagesApi();
    await using apiB = startMessagesApi();
    await using a = startClaude({ home, project: projects[0]!, apiUrl: apiA.url, env: HOOK_PATH });
    await using b = startClaude({ home, project: projects[1]!, apiUrl: apiB.url, env: HOOK_PATH });
    let names: string[] = [];
    await until(() => (names = sessionNames(e.home).filter((n) => n !== "alice")).length === 2, START_MS, "both sessions to register");
    expect(names[0]).not.toBe(names[1]);
    await Promise.all([a.ready(START_MS), b.ready(START_MS)]);
    await Bun.sleep(1_000); // their SessionStart waiters hold
    const reached: string[] = [];
    for (const [i, name] of names.entries()) {
      const note = `note for ${name} (${i})`;
      expect((await ipc(e, ["send", name, note, "--as", "alice"])).code).toBe(0);
      const has = (r: { text: string }) => r.text.includes(note);
      const first = await Promise.race([apiA.waitForTurn(has, WAKE_MS).then((r) => r && "a"), apiB.waitForTurn(has, WAKE_MS).then((r) => r && "b")]);
      expect(first).not.toBeNull();
      await Bun.sleep(2_000); // and the other session stays asleep
      expect([apiA, apiB].filter((api) => api.requests.some(has))).toHaveLength(1);
      reached.push(first!);
    }
    // the two names reach the two sessions, one each
    expect(reached.sort()).toEqual(["a", "b"]);
  }, 2 * START_MS + 3 * WAKE_MS);
});

describe.skipIf(skip !== null)("agent to agent through the real Claude Code", () => {
  test("a scripted send tool call of session A wakes idle session B; B's mail reaches only B", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using a = await seat(e, "ann", ["--allowedTools", "mcp__ipc__send"]);
    await using b = await seat(e, "ben");
    a.api.script.push({ tool: "mcp__ipc__send", input: { to: b.name, content: "ann here: the schema migration is done (note 4e2b)" } }, { text: "sent" });
    a.claude.type("tell ben the migration is done");
    const woken = await b.api.waitForTurn((r) => r.text.includes("the schema migration is done (note 4e2b)"), WAKE_MS);
    if (woken === null) throw new Error(`ben was not woken; ann's screen:\n${a.claude.screen()}\nben's screen:\n${b.claude.screen()}`);
    expect(woken.text).toContain(`from ${a.name}`);
    // ann's turn goes on with the tool's result (our send tool's answer), then ends
    const result = await a.api.waitForTurn((r) => r.text.includes("tool_result"), WAKE_MS);
    expect(result?.text).toContain("Sent message #");
    await Bun.sleep(1_000);
    // a message to ben wakes ben only
    const aTurns = a.api.turns().length;
    expect((await ipc(e, ["send", b.name, "only for ben (note 5d0e)", "--as", "alice"])).code).toBe(0);
    expect(await b.api.waitForTurn((r) => r.text.includes("note 5d0e"), WAKE_MS)).not.toBeNull();
    expect(a.api.requests.some((r) => r.text.includes("note 5d0e"))).toBe(false);
    expect(a.api.turns().length).toBe(aTurns);
  }, START_MS * 2 + WAKE_MS * 2);
});
