/**
 * Where an agent sits: an MCP SDK client over stdio to the compiled `ipc mcp`
 * (as Claude Code, Codex or Cursor launch it). Times `send` and an empty
 * `check` tool call from callTool to its result, and sizes the tool
 * definitions a host puts in the model's context (`tools/list`, all tools,
 * characters / 4 as tokens). The budgeted calls run with the main threads
 * of client, `ipc mcp` and broker on one CPU, as the other one-at-a-time
 * figures (bench/lib/procs.ts pinMainThreads); the unpinned ones follow.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ipcCommand, pinMainThreads } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import { SEND_CONTENT } from "./sends.ts";
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

/** Measures against the broker `brokerPid` of `env`: `calls` timed calls of each tool, pinned, then unpinned. */
export async function mcpRoundTrip(env: Record<string, string>, brokerPid: number, calls: number): Promise<Measurements> {
  const [command, ...args] = ipcCommand().cmd;
  const transport = new StdioClientTransport({ command: command!, args: [...args, "mcp"], env: { ...env, IPC_NAME: "bench-mcp" }, stderr: "inherit" });
  const client = new Client({ name: "ipc-bench", version: "1" });
  await client.connect(transport);
  const pids = [process.pid, transport.pid!, brokerPid];
  try {
    const { tools } = await client.listTools();
    const out: Measurements = { "mcp.tools.tokens": JSON.stringify(tools).length / 4 };
    for (const prefix of ["mcp", "mcp.unpinned"]) {
      pinMainThreads(pids, prefix === "mcp" ? 0 : null);
      const send = await timeTool(client, "send", { to: "sink", content: SEND_CONTENT }, calls);
      const check = await timeTool(client, "check", {}, calls);
      out[`${prefix}.send.p50`] = percentile(send, 50);
      out[`${prefix}.send.p99`] = percentile(send, 99);
      out[`${prefix}.check.p50`] = percentile(check, 50);
      out[`${prefix}.check.p99`] = percentile(check, 99);
    }
    return out;
  } finally {
    pinMainThreads(pids, null);
    await client.close();
  }
}
