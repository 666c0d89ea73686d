/**
 * The compiled `ipc mcp` on raw stdio: stdout carries nothing but JSON-RPC
 * frames (through start-up, a broker it starts, tool calls, errors, garbage
 * input and pushed notifications), and it exits when the host closes stdin.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { TOOLS } from "../../src/mcp/tools/index.ts";
import { compiledBinary } from "../helpers/binary.ts";
import { type IpcEnv, ipc, ipcEnv } from "../helpers/processes.ts";
import { stopBroker } from "./_mcp.ts";

/** A raw `ipc mcp` process: write JSON-RPC lines, read stdout lines. */
async function rawServer(e: IpcEnv, env: Record<string, string>) {
  const proc = Bun.spawn([...e.cmd!, "mcp"], { env: { ...e.env, ...env }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) !== -1) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    }
  })();
  const stderr = new Response(proc.stderr).text();
  const write = (frame: unknown) => proc.stdin.write(typeof frame === "string" ? frame : `${JSON.stringify(frame)}\n`);
  /** Waits for the response to request `id`. */
  const response = async (id: number, timeoutMs = 10_000): Promise<any> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = lines.map((l) => JSON.parse(l)).find((f) => f.id === id && ("result" in f || "error" in f));
      if (hit) return hit;
      if (performance.now() > deadline) throw new Error(`no response ${id}; stdout so far: ${lines.join("\n")}`);
      await Bun.sleep(10);
    }
  };
  return { proc, lines, write, response, rest: () => buffer, reading, stderr };
}

describe("ipc mcp on stdio (compiled binary)", () => {
  const envs: IpcEnv[] = [];
  afterAll(async () => {
    for (const e of envs) await stopBroker(e);
  });

  test("stdout is only JSON-RPC; initialize is fast; stdin EOF ends the server", async () => {
    const e = { ...ipcEnv(), cmd: [await compiledBinary()] };
    envs.push(e);
    const t0 = performance.now();
    const s = await rawServer(e, { IPC_NAME: "raw" });
    s.write({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    const init = await s.response(1);
    const initMs = performance.now() - t0;
    process.stderr.write(`ipc mcp (compiled) spawn → initialize result: ${initMs.toFixed(0)} ms\n`);
    expect(init.result.serverInfo.name).toBe("ipc");
    expect(init.result.instructions).toContain("register");
    expect(initMs).toBeLessThan(2_000);
    s.write({ jsonrpc: "2.0", method: "notifications/initialized" });
    s.write("this is not json\n");
    s.write({ jsonrpc: "2.0", id: 2, method: "no/such/method" });
    s.write({ jsonrpc: "2.0", id: 3, method: "tools/list" });
    s.write({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "send", arguments: { content: 42 } } });
    s.write({ jsonrpc: "2.0", id: 5, method: "resources/subscribe", params: { uri: "ipc://inbox" } });
    s.write({ jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "list_instances", arguments: {} } });
    expect((await s.response(2)).error.code).toBe(-32601);
    expect((await s.response(3)).result.tools.length).toBe(TOOLS.length);
    expect((await s.response(4)).result.isError).toBe(true);
    await s.response(5);
    expect((await s.response(6)).result.content[0].text).toContain("raw (you)");
    // Mail from a CLI user: pushed by the broker, announced on stdout as a notification frame.
    await ipc(e, ["register", "cli-user"]);
    await ipc(e, ["send", "raw", "hello from the shell", "--as", "cli-user"]);
    s.write({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "check", arguments: { wait: 5 } } });
    expect((await s.response(7)).result.content[0].text).toContain("hello from the shell");
    const deadline = performance.now() + 5_000;
    while (!s.lines.some((l) => l.includes("notifications/resources/updated")) && performance.now() < deadline) await Bun.sleep(10);

    s.proc.stdin.end();
    expect(await s.proc.exited).toBe(0);
    await s.reading;
    expect(s.rest()).toBe("");
    for (const line of s.lines) {
      const frame = JSON.parse(line);
      expect(frame.jsonrpc).toBe("2.0");
      expect("id" in frame || "method" in frame).toBe(true);
    }
    expect(s.lines.some((l) => l.includes("notifications/resources/updated"))).toBe(true);
    expect(await s.stderr).not.toContain("uncaught");
  });
});
