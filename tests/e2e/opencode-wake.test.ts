/**
 * OpenCode, proven with the real CLI (the pinned devDependency opencode-ai)
 * running interactively in tmux against a stand-in Chat Completions API
 * (tests/helpers/opencode-api.ts), set up only with
 * `ipc setup opencode --write --hooks`: the MCP tools called through scripted
 * function calls, an idle session woken by `ipc send` (before its first
 * prompt, and after a turn), mail during a busy turn handed over when it
 * ends, once, and what the person sees (capture-pane).
 * Skipped, saying why, where OpenCode or tmux is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionNames, until } from "../helpers/claude-code.ts";
import { type ChatApi, lastInput, offeredTools, startChatApi } from "../helpers/opencode-api.ts";
import { type OpencodeSession, opencodeHome, opencodeSkipReason, startOpencode } from "../helpers/opencode.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

const skip = opencodeSkipReason();
if (skip !== null) console.warn(`skipping the real OpenCode tests: ${skip}`);

/** OpenCode starts slowly on a busy machine (about 40 s at load 20 on 2 cores). */
const START_MS = 180_000;
const TURN_MS = 45_000;

interface Seat extends AsyncDisposable {
  api: ChatApi;
  oc: OpencodeSession;
  home: string;
  name: string;
}

/** An OpenCode session in a fresh folder set up with `ipc setup opencode --write --hooks --name SEAT`, at its prompt. */
async function seat(e: IpcEnv, seatName: string): Promise<Seat> {
  const api = startChatApi();
  const project = mkdtempSync(join(tmpdir(), "ipc-opencode-project-"));
  const home = opencodeHome(api.url);
  const setup = await ipc(e, ["setup", "opencode", "--write", "--hooks", "--name", seatName], { env: { HOME: home } });
  expect(setup.code).toBe(0);
  expect(setup.stdout).toContain("the ipc wake plugin added as");
  const known = new Set(sessionNames(e.home));
  const oc = startOpencode({ home, project });
  let name: string | undefined;
  try {
    await oc.ready(START_MS);
    await until(() => (name = sessionNames(e.home).find((n) => !known.has(n) && n.startsWith(seatName))) !== undefined, START_MS, `${seatName}'s MCP server to register`);
  } catch (err) {
    await oc[Symbol.asyncDispose]();
    await api[Symbol.asyncDispose]();
    throw new Error(`${(err as Error).message}\nscreen:\n${oc.screen()}`);
  }
  return {
    api,
    oc,
    home,
    name: name!,
    async [Symbol.asyncDispose]() {
      await oc[Symbol.asyncDispose]();
      await api[Symbol.asyncDispose]();
    },
  };
}

/** The message with `text` in `e`'s history as `as` sees it. */
async function inHistory(e: IpcEnv, as: string, text: string): Promise<{ content: string; read_at?: string; from: string } | undefined> {
  const r = await ipc(e, ["history", "--as", as, "--json"]);
  const h = JSON.parse(r.stdout);
  const list = (Array.isArray(h) ? h : h.messages) as Array<{ content: string; read_at?: string; from: string }>;
  return list.find((m) => m.content.includes(text));
}

describe.skipIf(skip !== null)("the real OpenCode with ipc", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let oc: Seat;

  beforeAll(async () => {
    e = ipcEnv();
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    oc = await seat(e, "oc");
  }, 2 * START_MS);

  afterAll(async () => {
    await oc?.[Symbol.asyncDispose]();
    await broker?.[Symbol.asyncDispose]();
  });

  test("an idle session that never had a prompt is woken by ipc send: the mail is submitted as its prompt", async () => {
    expect(oc.api.turns()).toHaveLength(0);
    await Bun.sleep(3_000); // the plugin's waiter finds the name the MCP server registered
    expect((await ipc(e, ["send", oc.name, "the build on main is green (note 0c1a)", "--as", "alice"])).code).toBe(0);
    const woken = await oc.api.waitForTurn((r) => r.text.includes("note 0c1a"), TURN_MS);
    if (woken === null) throw new Error(`not woken; screen:\n${oc.oc.screen()}`);
    expect(lastInput(woken.body)).toContain("from alice");
    expect((await inHistory(e, "alice", "note 0c1a"))?.read_at).toBeString();
    // the person sees it: the woken prompt and the answer are on screen
    await until(() => oc.oc.screen().includes("note 0c1a"), TURN_MS, "the woken prompt on screen");
  }, TURN_MS + 15_000);

  test("the MCP tools are offered, and a scripted send call reaches another agent", async () => {
    await Bun.sleep(2_000);
    const before = oc.api.turns().length;
    oc.api.script.push({ call: "ipc_send", args: { to: "alice", content: "oc here: the parser is fixed (note 5e2d)" } }, { text: "sent it" });
    oc.oc.type("tell alice the parser is fixed");
    const first = await oc.api.waitForTurn((r) => r.text.includes("tell alice the parser is fixed"), TURN_MS, before);
    if (first === null) throw new Error(`no turn; screen:\n${oc.oc.screen()}`);
    const offered = offeredTools(first.body);
    for (const tool of ["send", "check", "list_instances"]) expect(offered).toContain(`ipc_${tool}`);
    const result = await oc.api.waitForTurn((r) => lastInput(r.body).includes("Sent message #"), TURN_MS, before);
    if (result === null) throw new Error(`no tool result; screen:\n${oc.oc.screen()}`);
    expect((await inHistory(e, "alice", "note 5e2d"))?.from).toBe(oc.name);
    await until(() => oc.oc.screen().includes("sent it"), TURN_MS, "the answer on screen");
  }, 2 * TURN_MS);

  test("after a turn, the idle session is woken again, once per message", async () => {
    await Bun.sleep(2_000); // the turn's session.idle re-armed the waiter
    const before = oc.api.turns().length;
    const sent = await ipc(e, ["send", oc.name, "please rebase on main (note 9c1d)", "--as", "alice"]);
    expect(sent.code).toBe(0);
    // the plugin started the turn with it before the send was answered
    expect(sent.stdout).toContain("delivered");
    const woken = await oc.api.waitForTurn((r) => lastInput(r.body).includes("note 9c1d"), TURN_MS, before);
    if (woken === null) throw new Error(`not woken; screen:\n${oc.oc.screen()}`);
    await Bun.sleep(3_000);
    const settled = oc.api.turns().length;
    await Bun.sleep(4_000);
    expect(oc.api.turns()).toHaveLength(settled);
    expect(oc.api.turns().filter((r) => lastInput(r.body).includes("note 9c1d"))).toHaveLength(1);
  }, TURN_MS + 20_000);

  test("mail arriving during a busy turn is handed over when it ends, as one more turn", async () => {
    await Bun.sleep(2_000);
    const before = oc.api.turns().length;
    oc.api.script.push({ text: "thinking hard", delayMs: 4_000 });
    oc.oc.type("plan the release");
    expect(await oc.api.waitForTurn((r) => r.text.includes("plan the release"), TURN_MS, before)).not.toBeNull();
    const busy = oc.api.turns().length;
    const sent = await ipc(e, ["send", oc.name, "release notes are in docs/ (note a2f4)", "--as", "alice"]);
    expect(sent.code).toBe(0);
    // not yet in the model's context: it waits, unread, for the turn to end
    expect(sent.stdout).not.toContain("delivered");
    const more = await oc.api.waitForTurn((r) => lastInput(r.body).includes("note a2f4"), TURN_MS, busy);
    if (more === null) throw new Error(`no turn with the mail; screen:\n${oc.oc.screen()}`);
    // it came after the busy turn's answer, not into it
    expect(more.text).toContain("thinking hard");
  }, 2 * TURN_MS);
});

describe.skipIf(skip !== null)("two OpenCode sessions", () => {
  test("two folders get two names, and a message to one wakes only that one", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using a = await seat(e, "oca");
    await using b = await seat(e, "ocb");
    expect(a.name).not.toBe(b.name);
    await Bun.sleep(3_000);
    expect((await ipc(e, ["send", b.name, "for b only (note 3c7d)", "--as", "alice"])).code).toBe(0);
    expect(await b.api.waitForTurn((r) => r.text.includes("note 3c7d"), TURN_MS)).not.toBeNull();
    expect((await ipc(e, ["send", a.name, "for a only (note 8e2a)", "--as", "alice"])).code).toBe(0);
    expect(await a.api.waitForTurn((r) => r.text.includes("note 8e2a"), TURN_MS)).not.toBeNull();
    expect(a.api.requests.some((r) => r.text.includes("note 3c7d"))).toBe(false);
    expect(b.api.requests.some((r) => r.text.includes("note 8e2a"))).toBe(false);
  }, 3 * START_MS);
});
