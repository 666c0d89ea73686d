/** Tool logic through createMcpServer and the SDK's InMemoryTransport, against a real in-process broker. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { TOOLS } from "../../src/mcp/tools/index.ts";
import { testBroker } from "../helpers/broker.ts";
import { inProcessMcp } from "./_in-process.ts";

let broker: Awaited<ReturnType<typeof testBroker>>;
beforeAll(async () => {
  broker = await testBroker();
});
afterAll(async () => {
  await broker.stop();
});

test("tools/list: every tool, each with a generated JSON Schema", async () => {
  await using mcp = await inProcessMcp(broker.config, "lister");
  const { tools } = await mcp.client.listTools();
  expect(tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
  for (const t of tools) expect(t.inputSchema.type).toBe("object");
});

test("send with the legacy to_id, check, and read_message with the id written as text", async () => {
  await using fred = await inProcessMcp(broker.config, "fred-ip");
  await using barney = await inProcessMcp(broker.config, "barney-ip");
  const sent = await barney.call("send", { to_id: "fred-ip", content: "lunch at noon?", from_id: "ignored" });
  expect(sent.isError).toBe(false);
  const id = Number(sent.text.match(/#(\d+)/)![1]);
  const checked = await fred.call("check", { peek: true });
  expect(checked.text).toContain("lunch at noon?");
  expect(checked.text).toContain("barney-ip");
  const read = await fred.call("read_message", { message_id: `#${id}` });
  expect(read.isError).toBe(false);
  expect(read.text).toContain("lunch at noon?");
});

test("a call with a missing argument is an isError result with an example; the server keeps serving", async () => {
  await using mcp = await inProcessMcp(broker.config, "wilma-ip");
  const r = await mcp.call("send", { content: "to nobody" });
  expect(r.isError).toBe(true);
  expect(r.text).toContain('"to"');
  expect(r.text).toContain("Example");
  expect((await mcp.call("list_instances")).isError).toBe(false);
});

test("an unregistered server is told to register first, then can", async () => {
  await using mcp = await inProcessMcp(broker.config);
  const r = await mcp.call("send", { to: "fred-ip", content: "hi" });
  expect(r.isError).toBe(true);
  expect(r.text).toMatch(/register/i);
  expect((await mcp.call("register", { name: "betty-ip" })).isError).toBe(false);
  expect((await mcp.call("send", { to: "fred-ip", content: "hi" })).isError).toBe(false);
});
