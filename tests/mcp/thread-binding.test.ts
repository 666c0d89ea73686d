/**
 * A host that runs the MCP servers of several sessions in one process (Codex's
 * shared background server) still gives each session its own name: `ipc mcp`
 * records itself per process and binds the thread a tool call names
 * (`_meta.threadId`, as Codex 0.171 sends it), and a Codex turn hook of that
 * thread (its `session_id`) acts as that server's name, not as the name of
 * whichever server of the host saved its session last.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcEnv, ipcJson } from "../helpers/processes.ts";
import { startMcp, stopBroker } from "./_mcp.ts";

const envs: IpcEnv[] = [];
afterAll(async () => {
  for (const e of envs) await stopBroker(e);
});

/**
 * Two sessions' servers under one host process (this test runner), fred then barney, registered one
 * after the other, and a tool call of fred's naming Codex thread `thread`.
 */
async function twoSessions(thread: string) {
  const e = ipcEnv();
  envs.push(e);
  const fred = await startMcp(e);
  expect((await fred.call("register", { name: "fred" })).text).toContain("Registered as fred");
  const barney = await startMcp(e);
  expect((await barney.call("register", { name: "barney" })).text).toContain("Registered as barney");
  expect((await fred.client.callTool({ name: "list_instances", arguments: {}, _meta: { threadId: thread } })).isError).toBeFalsy();
  return {
    e,
    fred,
    async [Symbol.asyncDispose]() {
      await barney[Symbol.asyncDispose]();
      await fred[Symbol.asyncDispose]();
    },
  };
}

test("a tool call's _meta.threadId binds the thread; that thread's Codex hook acts as this server's name", async () => {
  const thread = "01a2f00d-0000-7000-8000-00000000fred";
  await using sessions = await twoSessions(thread);
  const { e, fred } = sessions;
  expect(JSON.parse(readFileSync(join(e.home, "mcp-parents", "threads", `${thread}.json`), "utf8"))).toEqual({ pid: fred.pid });
  expect(JSON.parse(readFileSync(join(e.home, "mcp-parents", "servers", `${fred.pid}.json`), "utf8"))).toMatchObject({ name: "fred", host: process.pid, cwd: realpathSync(process.cwd()) });

  expect((await ipc(e, ["register", "alice"])).code).toBe(0);
  expect((await ipc(e, ["send", "fred", "for fred's thread (note 7b1e)", "--as", "alice"])).code).toBe(0);
  const input = JSON.stringify({ hook_event_name: "UserPromptSubmit", session_id: thread, cwd: process.cwd(), prompt: "hi" });
  const hook = await ipc(e, ["hook", "codex"], { stdin: input });
  expect(hook.code).toBe(0);
  expect(hook.stdout).toContain("note 7b1e");
  expect(hook.stdout).toContain("for fred");
}, 30_000);

test("a command Codex's shell tool runs (CODEX_THREAD_ID) acts as its own thread's server, not the host's last one", async () => {
  const thread = "01a2f00d-0000-7000-8000-0000shellfred";
  await using sessions = await twoSessions(thread);
  const { e } = sessions;
  // The host's own record is the server that started last: without the thread, a command acts as barney.
  expect(await ipcJson(e, ["whoami"])).toMatchObject({ name: "barney", source: "mcp" });
  const inThread = await ipcJson(e, ["whoami"], { env: { CODEX_THREAD_ID: thread } });
  expect(inThread).toMatchObject({ name: "fred", source: "mcp", unread: 0 });
  // What it sends goes out as fred, with fred's session.
  expect((await ipc(e, ["register", "wilma"])).code).toBe(0);
  expect((await ipc(e, ["send", "wilma", "from the shell of fred's thread"], { env: { CODEX_THREAD_ID: thread } })).code).toBe(0);
  const got = await ipcJson(e, ["check", "--as", "wilma"]);
  expect(got.messages.map((m: { from: string }) => m.from)).toEqual(["fred"]);
  // A thread no server is bound to, or a made-up id, falls back to the host's record.
  expect(await ipcJson(e, ["whoami"], { env: { CODEX_THREAD_ID: "01a2f00d-0000-7000-8000-00000nobody" } })).toMatchObject({ name: "barney" });
  expect(await ipcJson(e, ["whoami"], { env: { CODEX_THREAD_ID: "../../etc/passwd" } })).toMatchObject({ name: "barney" });
}, 30_000);

