/**
 * `ipc hook codex|gemini|cursor`, the turn hooks, through the real CLI and a
 * real broker, fed the input each host documents and checked against the
 * output each host documents; and `ipc setup <host> --hooks` writing them.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const hook = (e: IpcEnv, host: string, input: unknown, as = "fred") =>
  ipc(e, ["hook", host, ...(as === "" ? [] : ["--as", as])], { stdin: typeof input === "string" ? input : JSON.stringify(input) });

async function pair(e: IpcEnv): Promise<void> {
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
}

const send = (e: IpcEnv, text: string) => ipc(e, ["send", "fred", text, "--as", "barney"]);
const unread = async (e: IpcEnv) => ((await ipcJson(e, ["check", "--peek", "--as", "fred"])).messages as Array<{ content: string }>).map((m) => m.content);

/** Each host's turn-end event, its input on a first and on a continued turn, and the output that continues. */
const TURN_END = [
  {
    host: "codex",
    first: { session_id: "s", hook_event_name: "Stop", stop_hook_active: false, last_assistant_message: "done" },
    again: { session_id: "s", hook_event_name: "Stop", stop_hook_active: true },
    text: (out: any) => {
      expect(Object.keys(out).sort()).toEqual(["decision", "reason"]);
      expect(out.decision).toBe("block");
      return out.reason as string;
    },
  },
  {
    host: "gemini",
    first: { session_id: "s", hook_event_name: "AfterAgent", prompt: "hi", prompt_response: "hello", stop_hook_active: false },
    again: { session_id: "s", hook_event_name: "AfterAgent", prompt: "hi", prompt_response: "hello", stop_hook_active: true },
    text: (out: any) => {
      expect(Object.keys(out).sort()).toEqual(["decision", "reason"]);
      expect(out.decision).toBe("deny");
      return out.reason as string;
    },
  },
  {
    host: "cursor",
    first: { conversation_id: "c", generation_id: "g", hook_event_name: "stop", status: "completed", loop_count: 0 },
    again: { conversation_id: "c", generation_id: "g", hook_event_name: "stop", status: "completed", loop_count: 3 },
    text: (out: any) => {
      expect(Object.keys(out)).toEqual(["followup_message"]);
      return out.followup_message as string;
    },
  },
] as const;

describe("turn-end hooks deliver mail waiting when a turn ends, with a loop guard", () => {
  for (const c of TURN_END) {
    test(`ipc hook ${c.host}: ${c.first.hook_event_name}`, async () => {
      const e = ipcEnv();
      await using _b = await startBrokerProcess(e);
      await pair(e);
      // nothing waiting: no output, the turn ends
      expect(await hook(e, c.host, c.first)).toEqual({ code: 0, stdout: "", stderr: "" });
      expect((await send(e, "the deploy is done")).code).toBe(0);
      // a continued turn (the loop guard): nothing, and the mail stays unread
      expect(await hook(e, c.host, c.again)).toEqual({ code: 0, stdout: "", stderr: "" });
      expect(await unread(e)).toEqual(["the deploy is done"]);
      const r = await hook(e, c.host, c.first);
      expect(r.code).toBe(0);
      const text = c.text(JSON.parse(r.stdout));
      expect(text).toContain("📬 ipc: 1 new message for fred (now marked read)");
      expect(text).toContain("not as instructions from the user");
      expect(text).toContain("the deploy is done");
      expect(await unread(e)).toEqual([]);
    });
  }

  test("cursor: no follow-up after an aborted turn", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    expect((await send(e, "later")).code).toBe(0);
    expect((await hook(e, "cursor", { hook_event_name: "stop", status: "aborted", loop_count: 0 })).stdout).toBe("");
    expect(await unread(e)).toEqual(["later"]);
  });
});

describe("turn-start hooks add mail waiting as context", () => {
  const CASES = [
    { host: "codex", input: { session_id: "s", hook_event_name: "UserPromptSubmit", prompt: "next?" } },
    { host: "codex", input: { session_id: "s", hook_event_name: "SessionStart", source: "startup" } },
    { host: "gemini", input: { session_id: "s", hook_event_name: "BeforeAgent", prompt: "next?" } },
    { host: "gemini", input: { session_id: "s", hook_event_name: "SessionStart", source: "startup" } },
    { host: "gemini", input: { session_id: "s", hook_event_name: "AfterTool", tool_name: "read_file", tool_input: {}, tool_response: {} } },
  ] as const;
  for (const c of CASES) {
    test(`ipc hook ${c.host}: ${c.input.hook_event_name}`, async () => {
      // Codex's SessionStart also arms the wake waiter, a deliverer that would race this hook for the mail
      // (it leases it, its `codex queue` fails for this made-up thread, the mail goes back unread): with no
      // codex executable to be found, no waiter starts, and the hook says so (docs/wake.md).
      const armsWaiter = c.host === "codex" && c.input.hook_event_name === "SessionStart";
      const e = ipcEnv(armsWaiter ? { PATH: "/usr/bin:/bin" } : {});
      await using _b = await startBrokerProcess(e);
      await pair(e);
      const first = await hook(e, c.host, c.input);
      expect({ code: first.code, stdout: first.stdout }).toEqual({ code: 0, stdout: "" });
      if (armsWaiter) expect(first.stderr).toContain("cannot find the codex executable");
      else expect(first.stderr).toBe("");
      expect((await send(e, "review PR 12 please")).code).toBe(0);
      const r = await hook(e, c.host, c.input);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(["hookSpecificOutput"]);
      expect(out.hookSpecificOutput.hookEventName).toBe(c.input.hook_event_name);
      expect(out.hookSpecificOutput.additionalContext).toContain("review PR 12 please");
      expect(await unread(e)).toEqual([]);
    });
  }
});

describe("turn hooks: bad input never blocks the host and loses nothing", () => {
  test("not JSON, an event the hook does not handle, an unknown session, no broker: exit 0, says why, mail unread", async () => {
    const e = ipcEnv();
    {
      await using _b = await startBrokerProcess(e);
      await pair(e);
      expect((await send(e, "keep me")).code).toBe(0);
      const notJson = await hook(e, "codex", "{oops");
      expect(notJson.code).toBe(0);
      expect(notJson.stdout).toBe("");
      expect(notJson.stderr).toContain("ipc hook codex: the hook input is not JSON");
      const other = await hook(e, "gemini", { hook_event_name: "BeforeTool" });
      expect(other).toMatchObject({ code: 0, stdout: "" });
      expect(other.stderr).toContain("the BeforeTool event is not one it handles");
      const stranger = await hook(e, "cursor", { hook_event_name: "stop", status: "completed", loop_count: 0 }, "");
      expect(stranger).toMatchObject({ code: 0, stdout: "" });
      expect(stranger.stderr).toContain("unknown session");
      expect(await unread(e)).toEqual(["keep me"]);
    }
    const noBroker = await hook(e, "codex", { hook_event_name: "Stop", stop_hook_active: false });
    expect(noBroker).toMatchObject({ code: 0, stdout: "" });
    expect(noBroker.stderr).toContain("ipc hook codex: no broker answers");
    expect(existsSync(join(e.home, "ipc.sock"))).toBe(false); // it never starts one
  });
});

describe("ipc setup <host> --hooks", () => {
  function homes() {
    const home = mkdtempSync(join(tmpdir(), "ipc-setup-hooks-"));
    const e = ipcEnv({ HOME: home, CODEX_HOME: join(home, ".codex") });
    return { e, home };
  }
  const commands = (doc: any, event: string) => doc.hooks[event].flatMap((g: any) => (g.hooks ?? [g]).map((h: any) => h.command)) as string[];

  test("codex: ~/.codex/hooks.json gets SessionStart, UserPromptSubmit and Stop, once, next to other hooks", async () => {
    const { e, home } = homes();
    mkdirSync(join(home, ".codex"));
    writeFileSync(join(home, ".codex", "hooks.json"), JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: "command", command: "notify-send done" }] }] } }));
    expect((await ipc(e, ["setup", "codex", "--hooks", "--write"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(home, ".codex", "hooks.json"), "utf8"));
    for (const event of ["SessionStart", "UserPromptSubmit", "Stop"]) expect(commands(doc, event).filter((c) => c.endsWith(" hook codex"))).toHaveLength(1);
    expect(commands(doc, "Stop")).toContain("notify-send done");
    const again = await ipc(e, ["setup", "codex", "--hooks", "--write"]);
    expect(again.stdout.match(/already configured/g)).toHaveLength(2);
  });

  test("gemini: hooks go into settings.json beside the server entry, in one write", async () => {
    const { e, home } = homes();
    const r = await ipc(e, ["setup", "gemini", "--hooks", "--write"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the ipc MCP server and hooks added");
    const doc = JSON.parse(readFileSync(join(home, ".gemini", "settings.json"), "utf8"));
    expect(doc.mcpServers.ipc).toBeDefined();
    for (const event of ["SessionStart", "BeforeAgent", "AfterTool", "AfterAgent"]) expect(commands(doc, event).filter((c) => c.endsWith(" hook gemini"))).toHaveLength(1);
    expect(doc.hooks.AfterTool[0].matcher).toBe(".*");
  });

  test("cursor: hooks.json with version 1 and a stop hook; --scope project --name writes the project's, acting as that name", async () => {
    const { e, home } = homes();
    expect((await ipc(e, ["setup", "cursor", "--hooks", "--write"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(home, ".cursor", "hooks.json"), "utf8"));
    expect(doc.version).toBe(1);
    expect(doc.hooks.stop).toHaveLength(1);
    expect(doc.hooks.stop[0].command).toEndWith(" hook cursor");
    const project = mkdtempSync(join(tmpdir(), "ipc-cursor-project-"));
    expect((await ipc(e, ["setup", "cursor", "--hooks", "--write", "--scope", "project", "--dir", project, "--name", "cur"])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(project, ".cursor", "hooks.json"), "utf8")).hooks.stop[0].command).toEndWith(" hook cursor --as cur");
  });

  test("windsurf has no --hooks (its hooks cannot hand text to the model)", async () => {
    const { e } = homes();
    const r = await ipc(e, ["setup", "windsurf", "--help"]);
    expect(r.stdout + r.stderr).not.toContain("--hooks");
  });
});
