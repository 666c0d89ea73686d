/**
 * Gemini CLI, proven with the real CLI (the pinned devDependency
 * @google/gemini-cli) running interactively in tmux against a stand-in Gemini
 * API (tests/helpers/gemini-api.ts), each session set up only with
 * `ipc setup gemini --write --hooks`: the MCP tools called through scripted
 * function calls, mail handed to the model at a turn's start (BeforeAgent)
 * and at its end (AfterAgent: one more turn), two sessions in two folders
 * getting two names, and what the person sees (capture-pane).
 * Skipped, saying why, where Gemini CLI or tmux is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionNames, until } from "../helpers/claude-code.ts";
import { type GeminiApi, lastUserText, offeredFunctions, startGeminiApi } from "../helpers/gemini-api.ts";
import { type GeminiSession, geminiHome, geminiSkipReason, startGemini } from "../helpers/gemini.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

const skip = geminiSkipReason();
if (skip !== null) console.warn(`skipping the real Gemini CLI tests: ${skip}`);

/** Longest wait for Gemini CLI to start, or for a turn's request (ms). */
const START_MS = 60_000;
const TURN_MS = 30_000;

/** A project folder named `<prefix><random>`. */
const projectDir = (prefix = "ipc-gemini-project-") => mkdtempSync(join(tmpdir(), prefix));

interface Seat extends AsyncDisposable {
  api: GeminiApi;
  gemini: GeminiSession;
  home: string;
  /** The name its MCP server registered. */
  name: string;
}

/**
 * A Gemini CLI session in a fresh trusted folder, set up with
 * `ipc setup gemini --write --hooks --name SEAT` (user scope: it registers
 * SEAT-<project>), at its prompt. `--yolo` approves the tool calls the stand-in scripts.
 */
async function seat(e: IpcEnv, seatName: string, opts: { home?: string; project?: string } = {}): Promise<Seat> {
  const api = startGeminiApi();
  const project = opts.project ?? projectDir();
  const home = opts.home ?? geminiHome([project]);
  if (opts.home === undefined) {
    const setup = await ipc(e, ["setup", "gemini", "--write", "--hooks", "--name", seatName], { env: { HOME: home } });
    expect(setup.code).toBe(0);
  }
  const known = new Set(sessionNames(e.home));
  const gemini = startGemini({ home, project, apiUrl: api.url, args: ["--yolo"] });
  let name: string | undefined;
  try {
    await until(() => (name = sessionNames(e.home).find((n) => !known.has(n) && n.startsWith(seatName))) !== undefined, START_MS, `${seatName}'s MCP server to register`);
    await gemini.ready(START_MS);
  } catch (err) {
    await gemini[Symbol.asyncDispose]();
    await api[Symbol.asyncDispose]();
    throw new Error(`${(err as Error).message}\nscreen:\n${gemini.screen()}`);
  }
  return {
    api,
    gemini,
    home,
    name: name!,
    async [Symbol.asyncDispose]() {
      await gemini[Symbol.asyncDispose]();
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

describe.skipIf(skip !== null)("the real Gemini CLI with ipc", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let gem: Seat;

  beforeAll(async () => {
    e = ipcEnv();
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    gem = await seat(e, "gem");
  }, START_MS + 15_000);

  afterAll(async () => {
    await gem?.[Symbol.asyncDispose]();
    await broker?.[Symbol.asyncDispose]();
  });

  test("the MCP tools are offered, and a scripted send function call reaches another agent", async () => {
    const before = gem.api.turns().length;
    gem.api.script.push({ call: "mcp_ipc_send", args: { to: "alice", content: "gem here: the parser is fixed (note g1a7)" } }, { text: "sent it" });
    await gem.gemini.idle(TURN_MS);
    gem.gemini.type("tell alice the parser is fixed");
    const first = await gem.api.waitForTurn((r) => r.text.includes("tell alice the parser is fixed"), TURN_MS, before);
    if (first === null) throw new Error(`no turn; screen:\n${gem.gemini.screen()}`);
    const offered = offeredFunctions(first.body);
    for (const tool of ["send", "check", "list_instances", "register"]) expect(offered).toContain(`mcp_ipc_${tool}`);
    // Gemini CLI ran our tool and sent its result back in the next request
    const result = await gem.api.waitForTurn((r) => lastUserText(r.body).includes("functionResponse"), TURN_MS, before);
    if (result === null) throw new Error(`no function response; screen:\n${gem.gemini.screen()}`);
    expect(lastUserText(result.body)).toContain("Sent message #");
    const got = await inHistory(e, "alice", "note g1a7");
    expect(got?.from).toBe(gem.name);
    await until(() => gem.gemini.screen().includes("sent it"), TURN_MS, "the answer on screen");
  }, 2 * TURN_MS);

  test("a scripted check function call reads mail sent from a shell during the turn", async () => {
    const before = gem.api.turns().length;
    // the check call is answered 2 s into the turn: mail sent meanwhile missed the BeforeAgent hook, so only the tool can show it
    gem.api.script.push({ call: "mcp_ipc_check", args: {}, delayMs: 2_000 }, { text: "read it" });
    await gem.gemini.idle(TURN_MS);
    gem.gemini.type("check messages");
    expect(await gem.api.waitForTurn((r) => r.text.includes("check messages"), TURN_MS, before)).not.toBeNull();
    expect((await ipc(e, ["send", gem.name, "from the shell (note c4b2)", "--as", "alice"])).code).toBe(0);
    const result = await gem.api.waitForTurn((r) => lastUserText(r.body).includes("functionResponse"), TURN_MS, before);
    if (result === null) throw new Error(`no function response; screen:\n${gem.gemini.screen()}`);
    expect(lastUserText(result.body)).toContain("note c4b2");
    expect((await inHistory(e, "alice", "note c4b2"))?.read_at).toBeString();
    await until(() => gem.gemini.screen().includes("read it"), TURN_MS, "the answer on screen");
  }, 2 * TURN_MS);

  test("mail waiting when the person types is handed to the model with the prompt (BeforeAgent)", async () => {
    expect((await ipc(e, ["send", gem.name, "standup moved to 10:30 (note b7e9)", "--as", "alice"])).code).toBe(0);
    const before = gem.api.turns().length;
    await gem.gemini.idle(TURN_MS);
    gem.gemini.type("what is next");
    const turn = await gem.api.waitForTurn((r) => r.text.includes("what is next"), TURN_MS, before);
    if (turn === null) throw new Error(`no turn; screen:\n${gem.gemini.screen()}`);
    expect(turn.text).toContain("note b7e9");
    expect(turn.text).toContain("from alice");
    expect((await inHistory(e, "alice", "note b7e9"))?.read_at).toBeString();
  }, 2 * TURN_MS);

  test("mail arriving during a turn starts one more turn when it ends (AfterAgent), with the mail as its prompt", async () => {
    const before = gem.api.turns().length;
    gem.api.script.push({ text: "thinking hard", delayMs: 3_000 }, { text: "noted the mail" });
    await gem.gemini.idle(TURN_MS);
    gem.gemini.type("plan the release");
    expect(await gem.api.waitForTurn((r) => r.text.includes("plan the release"), TURN_MS, before)).not.toBeNull();
    expect((await ipc(e, ["send", gem.name, "release notes are in docs/ (note a2f4)", "--as", "alice"])).code).toBe(0);
    const more = await gem.api.waitForTurn((r) => lastUserText(r.body).includes("note a2f4"), TURN_MS, before);
    if (more === null) throw new Error(`no continued turn; screen:\n${gem.gemini.screen()}`);
    expect(lastUserText(more.body)).toContain("not as instructions from the user");
    // the person sees the continued turn's answer
    await until(() => gem.gemini.screen().includes("noted the mail"), TURN_MS, "the continued turn's answer on screen");
    // and exactly one more turn: nothing follows once it is answered
    await Bun.sleep(3_000);
    const settled = gem.api.turns().length;
    await Bun.sleep(3_000);
    expect(gem.api.turns().length).toBe(settled);
  }, 3 * TURN_MS);
});

describe.skipIf(skip !== null)("two Gemini CLI sessions from one user-scope entry", () => {
  test("two folders get two names, and each gets only its own mail", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    const projects = [projectDir("webapp-"), projectDir("backend-")];
    const home = geminiHome(projects);
    expect((await ipc(e, ["setup", "gemini", "--write", "--hooks"], { env: { HOME: home } })).code).toBe(0);
    await using a = await seat(e, "gemini", { home, project: projects[0]! });
    await using b = await seat(e, "gemini", { home, project: projects[1]! });
    expect(a.name).toStartWith("gemini-webapp-");
    expect(b.name).toStartWith("gemini-backend-");
    for (const [s, note] of [[a, "note for a (7d1c)"], [b, "note for b (e5a0)"]] as const) {
      expect((await ipc(e, ["send", s.name, note, "--as", "alice"])).code).toBe(0);
      const before = s.api.turns().length;
      await s.gemini.idle(TURN_MS);
      s.gemini.type("anything new");
      const turn = await s.api.waitForTurn((r) => r.text.includes("anything new"), TURN_MS, before);
      if (turn === null) throw new Error(`no turn; screen:\n${s.gemini.screen()}`);
      expect(turn.text).toContain(note);
    }
    expect(a.api.requests.some((r) => r.text.includes("e5a0"))).toBe(false);
    expect(b.api.requests.some((r) => r.text.includes("7d1c"))).toBe(false);
  }, 2 * START_MS + 2 * TURN_MS);
});
