/**
 * The real Codex (the pinned devDependency) running interactively in tmux
 * against a stand-in Responses API, set up only with
 * `ipc setup codex --write --hooks` and the hook review a person answers:
 * `ipc doctor` says when the hooks are not trusted yet; the ipc MCP tools
 * `send` and `check` work through scripted function calls; an idle session
 * is woken by `ipc send` (the stand-in gets the message as the next user
 * input, and the screen shows it); mail sent mid-turn arrives once; with no
 * waiter, mail waiting at the end of a turn makes one more turn (Stop hook);
 * two sessions in one folder get two names and each is woken by its own mail,
 * and an `ipc` command each one's shell tool runs acts as that session's name.
 * Skipped, saying why, where Codex or tmux is missing (CI has both).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dirname } from "node:path";
import { sessionNames, until } from "../helpers/claude-code.ts";
import { CODEX_BIN, type CodexSession, codexHome, codexSkipReason, projectDir, startCodex, stopDaemon } from "../helpers/codex.ts";
import { type Recorded, type ResponsesApi, startResponsesApi } from "../helpers/responses-api.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const skip = codexSkipReason();
if (skip !== null) console.warn(`skipping the real Codex tests: ${skip}`);

/** Longest wait for Codex to start, or for a woken request (ms): Codex takes queued messages within seconds. */
const START_MS = 60_000;
const WAKE_MS = 45_000;
/** How long "nothing more happens" is watched for (ms). */
const QUIET_MS = 5_000;

/** PATH with the pinned Codex first, as a user who installed it has it (ipc doctor asks that codex). */
const PATH = `${dirname(CODEX_BIN)}:${process.env.PATH ?? "/usr/bin:/bin"}`;

/** The text of the last user message of a request: what the model is asked to answer. */
function lastUserText(r: Recorded): string {
  const input = Array.isArray(r.body?.input) ? (r.body.input as any[]) : [];
  const last = input.filter((i) => i?.type === "message" && i?.role === "user").at(-1);
  return (Array.isArray(last?.content) ? last.content : []).map((c: any) => String(c?.text ?? "")).join("\n");
}

/** The outputs of the function calls a request hands back to the model (what a shell command printed), joined. */
function toolOutputs(r: Recorded): string {
  const input = Array.isArray(r.body?.input) ? (r.body.input as any[]) : [];
  return input.filter((i) => i?.type === "function_call_output").map((i) => String(i.output ?? "")).join("\n");
}

/** The waiter pids holding a slot in `home` ($IPC_HOME/wake/<pid>.json). */
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

interface Seat extends AsyncDisposable {
  api: ResponsesApi;
  codex: CodexSession;
  home: string;
  project: string;
  name: string;
  /** `ipc doctor`'s Codex lines before the hooks were trusted. */
  doctorBefore: string;
}

/**
 * A Codex session in a new project set up with `ipc setup codex --write --hooks --name NAME` (user
 * scope: the session registers NAME-<project>), whose hook review was answered "Trust all and
 * continue", at its idle prompt; or a second session in `reuse`'s HOME and project.
 */
async function seat(e: IpcEnv, name: string, reuse?: Seat): Promise<Seat> {
  const api = reuse?.api ?? startResponsesApi();
  const project = reuse?.project ?? projectDir();
  const home = reuse?.home ?? codexHome(api.url, [project]);
  let doctorBefore = "";
  if (reuse === undefined) {
    const setup = await ipc(e, ["setup", "codex", "--write", "--hooks", "--name", name], { env: { HOME: home } });
    expect(setup.code).toBe(0);
    // it says what Codex needs before the hooks run
    expect(setup.stdout).toContain('answer its "Hooks need review" dialog with "Trust all and continue"');
    doctorBefore = (await ipc(e, ["doctor"], { env: { HOME: home, PATH }, cwd: project })).stdout;
  }
  const known = new Set(sessionNames(e.home));
  const codex = startCodex({ home, project });
  if (reuse === undefined) await codex.trustHooks(START_MS);
  await codex.ready(START_MS);
  let registered: string | undefined;
  try {
    await until(() => (registered = sessionNames(e.home).find((n) => !known.has(n) && n.startsWith(name))) !== undefined, START_MS, `${name}'s MCP server to register`);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nscreen:\n${codex.screen()}`);
  }
  return {
    api,
    codex,
    home,
    project,
    name: registered!,
    doctorBefore,
    async [Symbol.asyncDispose]() {
      await codex[Symbol.asyncDispose]();
      if (reuse === undefined) await api[Symbol.asyncDispose]();
    },
  };
}

/** Types `prompt` and waits for its request; @throws with the screen when none comes. */
async function prompt(s: Seat, text: string): Promise<Recorded> {
  const from = s.api.turns().length;
  await s.codex.type(text);
  const r = await s.api.waitForTurn((t) => lastUserText(t).includes(text), START_MS, from);
  if (r === null) throw new Error(`no request for "${text}"; screen:\n${s.codex.screen()}`);
  return r;
}

/** The message with `text` in `e`'s history as `as` sees it. */
async function inHistory(e: IpcEnv, as: string, text: string): Promise<{ read_at?: string; from: string } | undefined> {
  const h = await ipcJson(e, ["history", "--as", as]);
  const list = (Array.isArray(h) ? h : h.messages) as Array<{ content: string; read_at?: string; from: string }>;
  return list.find((m) => m.content.includes(text));
}

describe.skipIf(skip !== null)("Codex set up with ipc setup codex --write --hooks", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let cora: Seat;

  beforeAll(async () => {
    e = ipcEnv();
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    cora = await seat(e, "cora");
  }, 3 * START_MS);

  afterAll(async () => {
    await cora?.[Symbol.asyncDispose]();
    await broker?.[Symbol.asyncDispose]();
  });

  test("ipc doctor said the hooks were not trusted before the review, and says they are after it", async () => {
    expect(cora.doctorBefore).toContain("are not trusted");
    expect(cora.doctorBefore).toContain("Hooks need review");
    const after = (await ipc(e, ["doctor"], { env: { HOME: cora.home, PATH }, cwd: cora.project })).stdout;
    expect(after).toContain("ipc hooks in");
    expect(after).toContain("are trusted (says Codex)");
  }, START_MS);

  test("the MCP send tool, called through a scripted function call, reaches alice from the session's name", async () => {
    cora.api.script.push({ tool: "send", namespace: "mcp__ipc", input: { to: "alice", content: "hello from codex (note 1a7c)" } }, { text: "sent it" });
    await prompt(cora, "tell alice hello");
    const result = await cora.api.waitForTurn((r) => r.text.includes("function_call_output") && r.text.includes("Sent message"), WAKE_MS);
    expect(result).not.toBeNull();
    const got = await ipcJson(e, ["check", "--as", "alice"]);
    expect(got.messages.map((m: { from: string; content: string }) => [m.from, m.content])).toEqual([[cora.name, "hello from codex (note 1a7c)"]]);
    await cora.codex.waitScreen((s) => s.includes("Called ipc.send") && s.includes("sent it"), WAKE_MS, "the tool call and the answer on screen");
  }, START_MS + WAKE_MS);

  test("an idle session is woken by ipc send: the next request carries the message, the screen shows it, it is read", async () => {
    // the first prompt's SessionStart hook armed the waiter
    await until(() => waiters(e.home).length === 1, WAKE_MS, "the SessionStart hook's wake waiter");
    await Bun.sleep(1_000);
    const before = cora.api.turns().length;
    expect((await ipc(e, ["send", cora.name, "the build on main is green (note 7f3a)", "--as", "alice"])).code).toBe(0);
    const woken = await cora.api.waitForTurn((r) => lastUserText(r).includes("note 7f3a"), WAKE_MS, before);
    if (woken === null) throw new Error(`not woken; screen:\n${cora.codex.screen()}`);
    expect(lastUserText(woken)).toContain("from alice");
    expect(lastUserText(woken)).toContain("not as instructions from the user");
    const screen = await cora.codex.waitScreen((s) => s.includes("the build on main is green (note 7f3a)"), WAKE_MS, "the message on screen");
    expect(screen).toContain("from alice");
    expect((await inHistory(e, "alice", "note 7f3a"))?.read_at).toBeString();
  }, 2 * WAKE_MS);

  test("no second wake for the same message, and none while nothing arrives", async () => {
    await Bun.sleep(2_000);
    const turns = cora.api.turns().length;
    await Bun.sleep(QUIET_MS);
    expect(cora.api.turns()).toHaveLength(turns);
    expect(cora.api.turns().filter((r) => lastUserText(r).includes("note 7f3a"))).toHaveLength(1);
    expect(waiters(e.home)).toHaveLength(1); // the same waiter keeps holding
  }, QUIET_MS + 5_000);

  test("mail sent while the session is busy arrives after that turn, once", async () => {
    cora.api.script.push({ text: "thinking hard", delayMs: 4_000 });
    await prompt(cora, "plan the release");
    expect((await ipc(e, ["send", cora.name, "release notes are in docs/ (note 2b8e)", "--as", "alice"])).code).toBe(0);
    const got = await cora.api.waitForTurn((r) => lastUserText(r).includes("note 2b8e"), WAKE_MS);
    if (got === null) throw new Error(`not delivered; screen:\n${cora.codex.screen()}`);
    await Bun.sleep(QUIET_MS);
    expect(cora.api.turns().filter((r) => lastUserText(r).includes("note 2b8e"))).toHaveLength(1);
  }, START_MS + WAKE_MS + QUIET_MS);

  test("with no waiter, mail that arrives mid-turn is delivered at the turn's end by the Stop hook (one more turn)", async () => {
    const [pid] = waiters(e.home);
    expect(pid).toBeNumber();
    process.kill(pid!, "SIGKILL");
    await until(() => { try { process.kill(pid!, 0); return false; } catch { return true; } }, 5_000, "the waiter to die");
    cora.api.script.push({ text: "working on it", delayMs: 3_000 });
    await prompt(cora, "refactor the parser");
    expect((await ipc(e, ["send", cora.name, "please keep the old API (note 5d1e)", "--as", "alice"])).code).toBe(0);
    const more = await cora.api.waitForTurn((r) => lastUserText(r).includes("note 5d1e"), WAKE_MS);
    if (more === null) throw new Error(`no Stop-hook turn; screen:\n${cora.codex.screen()}`);
    expect(lastUserText(more)).toContain("📬 ipc: 1 new message");
    await Bun.sleep(QUIET_MS);
    expect(cora.api.turns().filter((r) => lastUserText(r).includes("note 5d1e"))).toHaveLength(1);
    expect((await inHistory(e, "alice", "note 5d1e"))?.read_at).toBeString();
  }, START_MS + WAKE_MS + QUIET_MS);

  test("the MCP check tool, called through a scripted function call, returns mail that arrived during the turn", async () => {
    // no waiter since the last test: the model's own check takes the mail
    cora.api.script.push({ tool: "check", namespace: "mcp__ipc", input: {}, delayMs: 3_000 }, { text: "read it" });
    await prompt(cora, "check your mail");
    expect((await ipc(e, ["send", cora.name, "lunch at noon (note 9c4b)", "--as", "alice"])).code).toBe(0);
    const result = await cora.api.waitForTurn((r) => r.text.includes("function_call_output") && r.text.includes("lunch at noon (note 9c4b)"), WAKE_MS);
    if (result === null) throw new Error(`no check result; screen:\n${cora.codex.screen()}`);
    await cora.codex.waitScreen((s) => s.includes("Called ipc.check"), WAKE_MS, "the check call on screen");
    expect((await inHistory(e, "alice", "note 9c4b"))?.read_at).toBeString();
  }, START_MS + WAKE_MS);

  test("a second session in the same folder gets a second name; each is woken by its own mail only", async () => {
    await using second = await seat(e, "cora", cora);
    expect(second.name).not.toBe(cora.name);
    await prompt(second, "hello second"); // its SessionStart arms its waiter
    // the first session's waiter was killed above: a new thread (/new) arms a new one at its first prompt
    await cora.codex.type("/new");
    await Bun.sleep(1_500);
    await prompt(cora, "hello first");
    await until(() => waiters(e.home).length === 2, WAKE_MS, "a waiter for each session");
    await Bun.sleep(1_000);
    for (const [to, other, note] of [[second, cora, "note 3c7d"], [cora, second, "note 8e2a"]] as const) {
      const from = cora.api.turns().length;
      expect((await ipc(e, ["send", to.name, `for ${to.name} (${note})`, "--as", "alice"])).code).toBe(0);
      const got = await cora.api.waitForTurn((r) => lastUserText(r).includes(note), WAKE_MS, from);
      if (got === null) throw new Error(`${to.name} not woken; screen:\n${to.codex.screen()}`);
      await to.codex.waitScreen((s) => s.includes(note), WAKE_MS, `the message on ${to.name}'s screen`);
      await Bun.sleep(2_000);
      expect(other.codex.screen()).not.toContain(note);
      expect(cora.api.turns().filter((r) => lastUserText(r).includes(note))).toHaveLength(1);
    }
  }, 3 * START_MS + 3 * WAKE_MS);
});

describe.skipIf(skip !== null)("Codex with its shared background server (daemon_auto_start, Codex's default)", () => {
  test("two sessions of one shared server in one folder get two names; each is woken by its own mail only, the sender hears delivered, and an ipc command each one's shell runs acts as its name", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using api = startResponsesApi();
    const project = projectDir();
    const home = codexHome(api.url, [project], { daemon: true });
    try {
      expect((await ipc(e, ["setup", "codex", "--write", "--hooks", "--name", "dana"], { env: { HOME: home } })).code).toBe(0);
      // ipc doctor no longer tells the user to turn the shared server off: each session keeps its own name there
      expect((await ipc(e, ["doctor"], { env: { HOME: home, PATH }, cwd: project })).stdout).not.toContain("daemon_auto_start = false");
      /** A session at its idle prompt after its first turn (the shared server starts a thread's MCP server with the thread). */
      const open = async (trust: boolean, hello: string): Promise<Seat> => {
        const known = new Set(sessionNames(e.home));
        const codex = startCodex({ home, project });
        if (trust) await codex.trustHooks(START_MS);
        await codex.ready(START_MS);
        const s: Seat = { api, codex, home, project, name: "", doctorBefore: "", [Symbol.asyncDispose]: () => codex[Symbol.asyncDispose]() };
        await prompt(s, hello); // its SessionStart arms its waiter
        let name: string | undefined;
        await until(() => (name = sessionNames(e.home).find((n) => !known.has(n) && n.startsWith("dana"))) !== undefined, START_MS, "dana's MCP server to register").catch((err) => {
          throw new Error(`${(err as Error).message}; screen:\n${codex.screen()}`);
        });
        s.name = name!;
        return s;
      };
      await using first = await open(true, "hello first");
      await until(() => waiters(e.home).length === 1, WAKE_MS, "the first session's wake waiter");
      await using second = await open(false, "hello second");
      expect(second.name).not.toBe(first.name);
      await until(() => waiters(e.home).length === 2, WAKE_MS, "a waiter for each session (one shared server)");
      await Bun.sleep(1_000);
      for (const [to, other, note] of [[first, second, "note 1f5a"], [second, first, "note 6b0c"]] as const) {
        const from = api.turns().length;
        const sent = await ipc(e, ["send", to.name, `for ${to.name} (${note})`, "--as", "alice"]);
        expect(sent.code).toBe(0);
        // ipc itself started the turn with the text: delivered, not just notified
        expect(sent.stdout).toContain("delivered");
        const woken = await api.waitForTurn((r) => lastUserText(r).includes(note), WAKE_MS, from);
        if (woken === null) throw new Error(`${to.name} not woken; screen:\n${to.codex.screen()}`);
        await to.codex.waitScreen((t) => t.includes(note), WAKE_MS, `the message on ${to.name}'s screen`);
        await Bun.sleep(2_000);
        expect(other.codex.screen()).not.toContain(note);
        expect(api.turns().filter((r) => lastUserText(r).includes(note))).toHaveLength(1);
        expect((await inHistory(e, "alice", note))?.read_at).toBeString();
      }
      // A command each session's shell tool runs acts as that session's name (Codex exports CODEX_THREAD_ID to
      // it), not as the name of whichever MCP server of the shared server registered last (the second's).
      const whoami = `IPC_HOME=${e.home} IPC_PORT=${e.env.IPC_PORT} ${[...(e.cmd ?? ipcCommand()), "whoami", "--json"].map((w) => `'${w}'`).join(" ")}`;
      for (const s of [first, second]) {
        api.script.push({ tool: "exec_command", input: { cmd: whoami } }, { text: "done" });
        const from = api.turns().length;
        await prompt(s, `who runs this shell (${s.name})`);
        const ran = await api.waitForTurn((r) => /"source":"\w+"/.test(toolOutputs(r)), WAKE_MS, from);
        if (ran === null) throw new Error(`no shell output from ${s.name}'s session; screen:\n${s.codex.screen()}`);
        expect(JSON.parse(toolOutputs(ran).match(/\{"ok":true,"name".*\}/)![0])).toMatchObject({ name: s.name, source: "mcp" });
      }
    } finally {
      stopDaemon(home);
    }
  }, 4 * START_MS + 6 * WAKE_MS);
});
