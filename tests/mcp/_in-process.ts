/**
 * In-process MCP test layer: the real tool, resource and prompt code of
 * `createMcpServer` over the MCP SDK's InMemoryTransport, acting through a
 * real Agent against a real broker (testBroker()): no process per server, so
 * tool logic tests run in milliseconds. The stdio process layer stays in
 * _mcp.ts.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Agent } from "../../src/client/agent.ts";
import type { Config } from "../../src/config.ts";
import { createMcpServer } from "../../src/mcp/server.ts";

export interface InProcessMcp extends AsyncDisposable {
  client: Client;
  /** Calls a tool; returns its text and isError. */
  call(name: string, args?: unknown): Promise<{ text: string; isError: boolean }>;
}

/**
 * An MCP server for `config`'s broker, named `name` (its IPC_NAME) or
 * unnamed, connected to an SDK Client. It never spawns a broker and keeps no
 * per-host session (ppid 1). Dispose it with `await using`.
 */
export async function inProcessMcp(config: Config, name: string | null = null): Promise<InProcessMcp> {
  const agent = new Agent({ ...config, name, noSpawn: true }, { lastName: false, persist: false });
  const handle = createMcpServer(agent, { ppid: 1 });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await handle.server.connect(serverSide);
  const client = new Client({ name: "ipc-in-process-tests", version: "1.0.0" });
  await client.connect(clientSide);
  await handle.identity.ready;
  return {
    client,
    async call(tool, args = {}) {
      const r = (await client.callTool({ name: tool, arguments: args as Record<string, unknown> })) as { content: Array<{ text: string }>; isError?: boolean };
      return { text: r.content.map((c) => c.text).join("\n"), isError: r.isError === true };
    },
    async [Symbol.asyncDispose]() {
      await client.close();
      await handle.close();
    },
  };
}
