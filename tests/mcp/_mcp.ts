/**
 * MCP test harness: the real `ipc mcp` process driven by the MCP SDK's
 * Client over stdio, with its stderr captured, and a broker clean-up.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type IpcEnv, ipc, ipcCommand } from "../helpers/processes.ts";

export interface McpProcess extends AsyncDisposable {
  client: Client;
  transport: StdioClientTransport;
  /** The server's pid. */
  pid: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Calls a tool; returns its text and isError. */
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  /** SIGKILLs the server (as a host killing it would) and waits until it is gone. */
  kill(): Promise<void>;
}

/** Starts `ipc mcp` for `e` (IPC_NAME = `name` when given) and completes the MCP handshake. */
export async function startMcp(
  e: IpcEnv,
  opts: { name?: string; cmd?: string[]; env?: Record<string, string>; args?: string[]; cwd?: string } = {},
): Promise<McpProcess> {
  const [command, ...args] = opts.cmd ?? e.cmd ?? ipcCommand();
  const env: Record<string, string> = { ...e.env, ...opts.env };
  if (opts.name !== undefined) env.IPC_NAME = opts.name;
  const transport = new StdioClientTransport({
    command: command!,
    args: [...args, "mcp", ...(opts.args ?? [])],
    env,
    stderr: "pipe",
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "ipc-tests", version: "1.0.0" });
  await client.connect(transport);
  const pid = transport.pid!;
  const gone = () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  return {
    client,
    transport,
    pid,
    stderr: () => stderr,
    async call(name, callArgs = {}) {
      const r = await client.callTool({ name, arguments: callArgs });
      const content = r.content as Array<{ type: string; text?: string }>;
      return { text: content.map((c) => c.text ?? "").join("\n"), isError: r.isError === true };
    },
    async kill() {
      process.kill(pid, "SIGKILL");
      while (!gone()) await Bun.sleep(10);
      await client.close().catch(() => {});
    },
    async [Symbol.asyncDispose]() {
      await client.close().catch(() => {});
    },
  };
}

/** Stops whatever broker runs for `e` (one an MCP server may have started itself). */
export async function stopBroker(e: IpcEnv): Promise<void> {
  await ipc(e, ["stop"]);
}
