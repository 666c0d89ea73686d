/** Hole 7 (issue 10): `list` comes a page at a time (v2, CLI, MCP); the legacy reply stays bounded. */
import { expect, test } from "bun:test";
import { LEGACY_REPLY_BYTES } from "../../src/broker/edge/legacy/handle.ts";
import { testBroker } from "../helpers/broker.ts";
import { type IpcEnv, ipc, ipcJson } from "../helpers/processes.ts";
import { startMcp } from "../mcp/_mcp.ts";
import { agentOf, legacyCall, registerAll, SECRET } from "./_agents.ts";

const NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"];

/** The CLI and MCP server pointed at the in-process broker `b`, never starting one of their own. */
function envOf(b: { config: { home: string }; port: number }): IpcEnv {
  return { home: b.config.home, port: b.port, env: { ...(process.env as Record<string, string>), IPC_HOME: b.config.home, IPC_PORT: String(b.port), IPC_NO_SPAWN: "1" } };
}

test("list answers one page with a cursor for the next; following the cursors gives every name once", async () => {
  await using b = await testBroker({ IPC_LIST_PAGE: "3" });
  await registerAll(b, NAMES);
  using a = agentOf(b);
  const first = await a.call("list", {});
  expect(first.instances.map((i) => i.name)).toEqual(["alpha", "bravo", "charlie"]);
  expect(first).toMatchObject({ next_cursor: "charlie", more: 4, total: 7 });
  const seen = [...first.instances.map((i) => i.name)];
  let cursor = first.next_cursor;
  for (let i = 0; i < 10 && cursor !== undefined; i++) {
    const page = await a.call("list", { cursor });
    seen.push(...page.instances.map((x) => x.name));
    cursor = page.next_cursor;
  }
  expect(seen).toEqual(NAMES);
  const two = await a.call("list", { cursor: "delta", limit: 2 });
  expect(two).toMatchObject({ instances: [{ name: "echo" }, { name: "foxtrot" }], next_cursor: "foxtrot", more: 1 });
  const last = await a.call("list", { cursor: "foxtrot" });
  expect(last.instances.map((i) => i.name)).toEqual(["golf"]);
  expect(last.next_cursor).toBeUndefined();
  // A name registered between pages takes its place in order.
  await registerAll(b, ["charlie-b"]);
  expect((await a.call("list", { cursor: "charlie", limit: 2 })).instances.map((i) => i.name)).toEqual(["charlie-b", "delta"]);
  // So does a rename: the old name leaves, the new one comes in at its place.
  using hotel = agentOf(b, "hotel");
  await hotel.register("hotel");
  expect((await a.call("list", { limit: 1000 })).instances.map((i) => i.name).at(-1)).toBe("hotel");
  await hotel.call("rename", { new_name: "bravo-b" });
  expect((await a.call("list", { limit: 1000 })).instances.map((i) => i.name)).toEqual(
    ["alpha", "bravo", "bravo-b", "charlie", "charlie-b", "delta", "echo", "foxtrot", "golf"],
  );
});

test("ipc list shows a page and how many more; --all follows every page; --after pages by hand", async () => {
  await using b = await testBroker({ IPC_LIST_PAGE: "3" });
  await registerAll(b, NAMES);
  const e = envOf(b);
  const human = await ipc(e, ["list"]);
  expect(human.code).toBe(0);
  expect(human.stdout).toContain("charlie");
  expect(human.stdout).not.toContain("delta");
  expect(human.stdout).toContain("… 4 more: ipc list --after charlie (or --all)");
  const all = await ipcJson(e, ["list", "--all"]);
  expect(all.instances.map((i: { name: string }) => i.name)).toEqual(NAMES);
  expect(all.next_cursor).toBeUndefined();
  const next = await ipcJson(e, ["list", "--after", "charlie", "--limit", "2"]);
  expect(next).toMatchObject({ instances: [{ name: "delta" }, { name: "echo" }], next_cursor: "echo", more: 2, total: 7 });
});

test("MCP list_instances shows a page and names the cursor for the next", async () => {
  await using b = await testBroker({ IPC_LIST_PAGE: "3" });
  await registerAll(b, NAMES);
  await using s = await startMcp(envOf(b));
  const first = await s.call("list_instances");
  expect(first.isError).toBe(false);
  expect(first.text).toContain("7 registered; 3 shown");
  expect(first.text).toContain('4 more: call list_instances with cursor "charlie"');
  const next = await s.call("list_instances", { cursor: "charlie" });
  expect(next.text).toContain("delta");
  expect(next.text).not.toContain("alpha");
});

test("the legacy list reply stays bounded: at most 500 names and one TCP segment (LEGACY_REPLY_BYTES), so a single recv gets it", async () => {
  await using b = await testBroker({ IPC_REGISTER_PER_CONNECTION: "0", IPC_REGISTER_BURST: "1000", IPC_RATE_LIMIT: "0", IPC_SHARED_SECRET: SECRET });
  using a = agentOf(b);
  for (let i = 0; i < 600; i++) await a.register(`agent-with-a-long-name-${String(i).padStart(4, "0")}`);
  const { session_token } = (await legacyCall(b.port, { action: "register", instance_id: "oldtimer" })).reply;
  const { text, reply } = await legacyCall(b.port, { action: "list", session_token });
  expect(reply.status).toBe("ok");
  // Bounded by bytes first (a reply must fit one segment of a fresh connection: docs/migrating.md), then by count.
  expect(reply.instances.length).toBeGreaterThan(100);
  expect(reply.instances.length).toBeLessThanOrEqual(500);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(LEGACY_REPLY_BYTES);
  // A v2 client that knows no paging gets a bounded first page too.
  expect((await a.call("list", {})).instances).toHaveLength(200);
});
