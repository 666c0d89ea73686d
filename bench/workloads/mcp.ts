/**
 * Where an agent sits: an MCP SDK client over stdio to the compiled `ipc mcp`
 * (as Claude Code, Codex or Cursor launch it). Times `send` and an empty
 * `check` tool call from callTool to its result, and sizes the tool
 * definitions a host puts in the model's context (`tools/list`, all tools,
 * characters / 4 as tokens).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ipcCommand } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements } from "./types.ts";

/** Times `calls` calls of tool `name` (after a tenth as many unmeasured); latencies in µs. */
async function timeTool(client: Client, name: string, args: Record<string, unknown>, calls: number): Promise<number[]> {
  const lat: number[] = [];
  const warm = Math.ceil(calls / 10);
  for (let i = 0; i < warm + calls; i++) {
    const t0 = performance.now();
    const r = await client.callTool({ name, arguments: args });
    const us = (performance.now() - t0) * 1000;
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
    if (i >= warm) lat.push(us);
  }
  return lat;
}

/** Measures against the broker of `env`: `calls` timed calls of each tool. */
export async function mcpRoundTrip(env: Record<string, string>, calls: number): Promise<Measurements> {
  const [command, ...args] = ipcCommand().cmd;
  const transport = new StdioClientTransport({ command: command!, args: [...args, "mcp"], env: { ...env, IPC_NAME: "bench-mcp" }, stderr: "inherit" });
  const client = new Client({ name: "ipc-bench", version: "1" });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    const send = await timeTool(client, "send", { to: "sink", content: "bench message payload 0123456789" }, calls);
    const check = await timeTool(client, "check", {}, calls);
    return {
      "mcp.tools.tokens": JSON.stringify(tools).length / 4,
      "mcp.send.p50": percentile(send, 50),
      "mcp.send.p99": percentile(send, 99),
      "mcp.check.p50": percentile(check, 50),
      "mcp.check.p99": percentile(check, 99),
    };
  } finally {
    await client.close();
  }
}
