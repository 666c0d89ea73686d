/**
 * `ipc mcp` on stdio: wires the MCP server to stdin/stdout and to signals.
 * stdout carries MCP frames only, so console output is sent to stderr before
 * anything else runs, and a stray error is logged there instead of killing
 * the server. Returns when the host closes stdin or sends a signal.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Agent } from "../client/agent.ts";
import { hostPid } from "../client/host-process.ts";
import { hostKindOf } from "../client/seat.ts";
import { type Config, claudeMessaging } from "../config.ts";
import { Identity } from "./identity.ts";
import { sharedHost } from "../home/mcp-servers.ts";
import { screenedInput } from "./jsonrpc.ts";
import { log } from "./log.ts";
import { createMcpServer } from "./server.ts";
import { markBadArguments } from "./tools/_tool.ts";

/** How long start-up registration may hold the MCP handshake (ms), so the instructions can name the server's name. */
const START_WAIT_MS = 5_000;

/** Largest JSON-RPC line accepted from the host (bytes): room for a maximal message with heavy JSON escaping. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Points console.log/info/debug at stderr and logs stray errors instead of exiting. */
function guardStdout(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  process.on("unhandledRejection", (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`));
  process.on("uncaughtException", (err) => log(`uncaught exception: ${err.stack ?? String(err)}`));
}

/** Serves MCP on stdio for `config` until the host goes away. */
export async function serveStdio(config: Config): Promise<void> {
  guardStdout();
  const ppid = hostPid();
  // Under a host that runs several sessions (Codex's shared server), this server is its session's seat, not the host.
  const seatPid = sharedHost(ppid) ? process.pid : undefined;
  const agent = new Agent(config, { lastName: false, savedToken: false, seatHost: config.seat ?? hostKindOf(ppid, "mcp"), ...(seatPid !== undefined && { seatPid }) });
  const identity = new Identity(agent, config, { ppid });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([identity.ready, new Promise<void>((r) => (timer = setTimeout(r, START_WAIT_MS)))]);
  clearTimeout(timer);
  const { server, close } = createMcpServer(agent, { identity, ppid, claude: claudeMessaging() });
  server.onerror = (err) => log(`protocol error: ${err.message}`);
  const ended = new Promise<string>((resolve) => {
    process.stdin.once("end", () => resolve("stdin closed"));
    process.stdin.once("close", () => resolve("stdin closed"));
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => resolve(signal));
    server.onclose = () => resolve("transport closed");
  });
  // Lines that are not JSON or not JSON-RPC are answered here (-32700, -32600); the SDK would drop them unanswered.
  let transport: StdioServerTransport | undefined;
  const input = screenedInput(process.stdin, (e) => void transport?.send(e as never), (l) => log(l), MAX_LINE_BYTES);
  transport = new StdioServerTransport(input, process.stdout, { maxBufferSize: MAX_LINE_BYTES });
  await server.connect(transport);
  // tools/call with `arguments: null` (or a string…) becomes an isError result, not a JSON-RPC error.
  const receive = transport.onmessage!;
  transport.onmessage = (message) => receive(markBadArguments(message));
  await ended;
  await close().catch(() => {});
}
