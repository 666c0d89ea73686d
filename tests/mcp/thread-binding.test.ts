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
import { type IpcEnv, ipc, ipcEnv } from "../helpers/processes.ts";
import { startMcp, stopBroker } from "./_mcp.ts";

const envs: IpcEnv[] = [];
afterAll(async () => {
  for (const e of envs) await stopBroker(e);
});

test("a tool call's _meta.threadId binds the thread; that thread's Codex hook acts as this server's name", async () => {
  const e = ipcEnv();
  envs.push(e);
  // two sessions' servers under one host process (this test runner), registered one after the other
  await using fred = await startMcp(e);
  expect((await fred.call("register", { name: "fred" })).text).toContain("Registered as fred");
  await using barney = await startMcp(e);
  expect((await barney.call("register", { name: "barney" })).text).toContain("Registered as barney");
  const thread = "01a2f00d-0000-7000-8000-00000000fred";
  const r = await fred.client.callTool({ name: "list_instances", arguments: {}, _meta: { threadId: thread } });
  expect(r.isError).toBeFalsy();
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
