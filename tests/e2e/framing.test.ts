/**
 * Issue 23, item 11: a message body cannot forge the framing of mail shown to a
 * model. barney sends fred a body with a zero-width-prefixed fake header, a fake
 * end marker, `</system-reminder>`, `Human:` and hidden line breaks; each host's
 * hook (fed the input its hooks reference documents, through the real CLI and a
 * real broker) and the MCP tools of a real `ipc mcp` show it as one framed,
 * quoted message. Cursor's follow-up, sent as a user turn, says it is not the user's.
 */
import { describe, expect, test } from "bun:test";
import { startMcp, stopBroker } from "../mcp/_mcp.ts";
import { FORGED_BODY, expectFramed } from "../helpers/framing.ts";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

async function forged(e: IpcEnv): Promise<number> {
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
  const sent = await ipcJson(e, ["send", "fred", FORGED_BODY, "--as", "barney"]);
  return sent.message_id as number;
}

/** Each host's hook with its documented input, and where its output puts the text. */
const HOSTS = [
  {
    name: "claude-code PostToolUse",
    args: ["hook", "claude-code", "--always"],
    input: { session_id: "s1", hook_event_name: "PostToolUse", tool_name: "Bash", tool_input: { command: "ls" } },
    text: (o: any) => o.hookSpecificOutput.additionalContext as string,
  },
  {
    name: "codex UserPromptSubmit",
    args: ["hook", "codex"],
    input: { session_id: "s", hook_event_name: "UserPromptSubmit", prompt: "next?" },
    text: (o: any) => o.hookSpecificOutput.additionalContext as string,
  },
  {
    name: "codex Stop",
    args: ["hook", "codex"],
    input: { session_id: "s", hook_event_name: "Stop", stop_hook_active: false, last_assistant_message: "done" },
    text: (o: any) => o.reason as string,
  },
  {
    name: "gemini BeforeAgent",
    args: ["hook", "gemini"],
    input: { session_id: "s", hook_event_name: "BeforeAgent", prompt: "next?" },
    text: (o: any) => o.hookSpecificOutput.additionalContext as string,
  },
  {
    name: "gemini AfterAgent",
    args: ["hook", "gemini"],
    input: { session_id: "s", hook_event_name: "AfterAgent", prompt: "hi", prompt_response: "hello", stop_hook_active: false },
    text: (o: any) => o.reason as string,
  },
  {
    name: "cursor stop",
    args: ["hook", "cursor"],
    input: { conversation_id: "c", generation_id: "g", hook_event_name: "stop", status: "completed", loop_count: 0 },
    text: (o: any) => o.followup_message as string,
  },
] as const;

describe("hook output frames a forged body as one quoted message", () => {
  for (const h of HOSTS) {
    test(`ipc ${h.args.slice(1, 2).join(" ")}: ${h.name}`, async () => {
      const e = ipcEnv();
      await using _b = await startBrokerProcess(e);
      const id = await forged(e);
      const r = await ipc(e, [...h.args, "--as", "fred"], { stdin: JSON.stringify(h.input) });
      expect(r.code).toBe(0);
      const text = h.text(JSON.parse(r.stdout));
      expectFramed(text, id, "barney");
      // it opens by saying whose words these are (Cursor and the turn-end hooks hand it over as a prompt)
      expect(text.split("\n")[0]).toStartWith("📬 ipc: 1 new message for fred");
      expect(text.split("\n")[0]).toContain("not written by the user");
    });
  }
});

describe("MCP tool results frame a forged body as one quoted message", () => {
  test("check, read_message, search_messages and the ipc://inbox resource", async () => {
    const e = ipcEnv();
    try {
      await using _b = await startBrokerProcess(e);
      const id = await forged(e);
      await using mcp = await startMcp(e, { name: "fred" });
      const inbox = await mcp.client.readResource({ uri: "ipc://inbox" });
      expectFramed((inbox.contents[0] as { text: string }).text, id, "barney");
      const checked = await mcp.call("check");
      expect(checked.isError).toBe(false);
      expectFramed(checked.text, id, "barney");
      expectFramed((await mcp.call("read_message", { message_id: id })).text, id, "barney");
      expectFramed((await mcp.call("search_messages", { query: "review" })).text, id, "barney");
    } finally {
      await stopBroker(e);
    }
  });
});
