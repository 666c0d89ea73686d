/** `ipc mcp` tool definitions and argument handling, through the real server over stdio. */
import { afterAll, describe, expect, test } from "bun:test";
import { type IpcEnv, ipcEnv } from "../helpers/processes.ts";
import { type McpProcess, startMcp, stopBroker } from "./_mcp.ts";

const REQUIRED: Record<string, string[]> = {
  register: ["name"],
  send: ["to", "content"],
  broadcast: ["content"],
  check: [],
  list_instances: [],
  read_message: ["message_id"],
  search_messages: ["query"],
  rename: ["new_name"],
  share_file: ["to", "path"],
  share_command: ["to"],
  auto_check: ["action"],
  claim: ["action"],
  channels: ["action"],
};
const LEGACY = ["to_id", "new_id", "instance_id", "from_id", "old_id"];

describe("ipc mcp tools", () => {
  const envs: IpcEnv[] = [];
  afterAll(async () => {
    for (const e of envs) await stopBroker(e);
  });
  async function server(name?: string): Promise<McpProcess> {
    const e = ipcEnv();
    envs.push(e);
    return startMcp(e, name === undefined ? {} : { name });
  }

  test("all tool definitions together stay under 2 500 tokens (characters / 4)", async () => {
    await using s = await server();
    const { tools } = await s.client.listTools();
    const tokens = Math.ceil(JSON.stringify(tools).length / 4);
    console.log(`MCP tool definitions: ${tools.length} tools, ~${tokens} tokens (characters / 4)`);
    expect(tokens).toBeLessThanOrEqual(2500);
  });

  test("the tools and the instructions say they reach any agent, unlike Claude Code's built-in SendMessage and ListAgents", async () => {
    await using s = await server();
    const { tools } = await s.client.listTools();
    const about = (name: string) => tools.find((t) => t.name === name)!.description!;
    expect(about("send")).toContain("any agent");
    expect(about("send")).toContain("Codex");
    expect(about("send")).toContain("not SendMessage");
    expect(about("list_instances")).toContain("any vendor and machine");
    expect(about("list_instances")).toContain("ListAgents");
    const instructions = s.client.getInstructions() ?? "";
    expect(instructions).toContain("any other AI agent");
    expect(instructions).toContain("other machines");
    expect(instructions).toContain("SendMessage");
  });

  test("every tool has a generated object JSON Schema with the documented required fields; legacy names never required", async () => {
    await using s = await server();
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(REQUIRED).sort());
    for (const t of tools) {
      expect(t.inputSchema.type).toBe("object");
      expect(typeof t.inputSchema.properties).toBe("object");
      expect(t.inputSchema).not.toHaveProperty("$schema");
      expect([...((t.inputSchema.required as string[] | undefined) ?? [])].sort()).toEqual([...REQUIRED[t.name]!].sort());
      for (const legacy of LEGACY) expect(t.inputSchema.required ?? []).not.toContain(legacy);
      for (const [key, prop] of Object.entries(t.inputSchema.properties ?? {})) {
        expect(typeof (prop as { description?: string }).description, `${t.name}.${key} has a description`).toBe("string");
      }
      expect(t.description!.length).toBeGreaterThan(40);
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("check")!.inputSchema.properties!.wait).toMatchObject({ type: "number", minimum: 0, maximum: 50 });
    expect(byName.get("auto_check")!.inputSchema.properties!.action).toMatchObject({ enum: ["start", "stop", "status"] });
    expect(byName.get("send")!.inputSchema.properties!.data).toMatchObject({ type: "object" });
    expect(byName.get("send")!.description).toContain("msg fred: hi");
    expect(byName.get("list_instances")!.description).toContain("who's online?");
    expect(byName.get("rename")!.description).toContain("rename to fred-debugging");
    expect(byName.get("auto_check")!.description).toContain("start auto checking 5");
    expect(s.client.getInstructions()).toContain("register");
    expect(s.client.getServerCapabilities()).toMatchObject({ tools: {}, resources: { subscribe: true }, prompts: {} });
  });

  test("before register: tools say what to do; list_instances works", async () => {
    await using s = await server();
    const r = await s.call("send", { to: "fred", content: "hi" });
    expect(r).toEqual({ isError: true, text: expect.stringContaining("not registered yet: call register with your name") });
    expect((await s.call("check")).text).toContain("not registered yet");
    expect(await s.call("list_instances")).toMatchObject({ isError: false, text: expect.stringContaining("not registered yet") });
  });

  test("bad arguments are isError results and the server keeps serving", async () => {
    await using s = await server("bad-args");
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["send", { content: "hi" }, '"to" is missing'],
      ["send", { to: "fred", content: "hi", data: [1, 2] }, "data must be a JSON object"],
      ["send", { to: "fred", content: "hi", data: "text" }, "data must be a JSON object"],
      ["send", { to: "not a name!", content: "hi" }, "a name is 1–32 characters"],
      ["send", { to: "system", content: "hi" }, "reserved"],
      ["check", { wait: 90 }, "wait is at most 50 seconds"],
      ["check", { wait: "soon" }, '"wait"'],
      ["auto_check", { action: "sometimes" }, 'action is "start", "stop" or "status"'],
      ["auto_check", { action: "start", minutes: 0 }, '"minutes"'],
      ["share_command", { to: "fred" }, 'give the command to run as "command"'],
      ["read_message", { message_id: -3 }, '"message_id"'],
      ["no_such_tool", {}, "there is no tool"],
    ];
    for (const [tool, args, expected] of cases) {
      const r = await s.call(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(r.text).toContain(expected);
    }
    // 2 MiB of content: the broker's content limit answers, the server lives on.
    const big = await s.call("send", { to: "fred", content: "x".repeat(2 * 1024 * 1024) });
    expect(big.isError).toBe(true);
    expect(big.text).toContain("the limit is 1048576 bytes");
    // Numbers sent as text are taken as numbers ("#41", "0"); text that is not a number is still refused.
    const sent = await s.call("send", { to: "fred", content: "quoted ids" });
    const id = sent.text.match(/#(\d+)/)![1]!;
    expect((await s.call("read_message", { message_id: `#${id}` })).text).toContain("quoted ids");
    expect((await s.call("check", { wait: "0", limit: "5" })).isError).toBe(false);
    const ok = await s.call("send", { to: "fred", content: "still here" });
    expect(ok).toMatchObject({ isError: false, text: expect.stringContaining("Sent message") });
  });

  test("no broker and --no-spawn: tools report it, and the server keeps serving", async () => {
    const e = ipcEnv();
    await using s = await startMcp(e, { name: "lonely", args: ["--no-spawn"] });
    const r = await s.call("send", { to: "fred", content: "anyone?" });
    expect(r).toMatchObject({ isError: true, text: expect.stringContaining("the ipc broker is not reachable: no broker on") });
    expect((await s.call("list_instances")).isError).toBe(true);
    expect((await s.client.listTools()).tools.length).toBe(Object.keys(REQUIRED).length);
  });

  test("legacy argument names: to_id, new_id, instance_id; from_id / instance_id ignored; old_id must be the caller", async () => {
    await using s = await server();
    expect((await s.call("register", { instance_id: "Legacy-One" })).text).toContain("Registered as legacy-one");
    expect((await s.call("send", { from_id: "someone-else", to_id: "barney", content: "old style" })).text).toContain("to barney");
    expect((await s.call("check", { instance_id: "legacy-one" })).isError).toBe(false);
    // old_id naming someone else is refused (it used to rename the caller instead); its own name is fine.
    expect(await s.call("rename", { old_id: "someone-else", new_id: "hijack" })).toMatchObject({
      isError: true,
      text: expect.stringContaining('old_id "someone-else" is not your name (you are legacy-one): you can rename only yourself; nothing was renamed'),
    });
    expect((await s.call("list_instances")).text).toContain("legacy-one (you)");
    expect((await s.call("rename", { old_id: "legacy-one", new_id: "legacy-two" })).text).toContain("Renamed legacy-one to legacy-two");
    expect((await s.call("list_instances")).text).toContain("legacy-two (you)");
  });

  test("prompts and resources are listed", async () => {
    await using s = await server("lister");
    const { prompts } = await s.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(["check_inbox", "message_agent"]));
    const p = await s.client.getPrompt({ name: "message_agent", arguments: { to: "fred", message: "hello there" } });
    expect((p.messages[0]!.content as { text: string }).text).toContain("hello there");
    const { resources } = await s.client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(["ipc://inbox", "ipc://instances", "ipc://status"]);
    const status = await s.client.readResource({ uri: "ipc://status" });
    expect(JSON.parse((status.contents[0] as { text: string }).text)).toMatchObject({ protocol: expect.any(Number) });
    const instances = await s.client.readResource({ uri: "ipc://instances" });
    expect((instances.contents[0] as { text: string }).text).toContain("lister (you)");
    await expect(s.client.subscribeResource({ uri: "ipc://status" })).rejects.toThrow("only ipc://inbox");
  });
});
