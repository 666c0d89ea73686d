/**
 * `ipc mcp` answers malformed JSON-RPC with the codes of the JSON-RPC 2.0
 * specification (§5.1) and a one-line message (issue 23, small ones): -32700 for
 * a line that is not JSON, -32600 for one that is not a JSON-RPC message,
 * -32602 for params that fail the schema; and keeps serving afterwards.
 */
import { afterAll, expect, test } from "bun:test";
import { type IpcEnv, ipcCommand, ipcEnv } from "../helpers/processes.ts";
import { stopBroker } from "./_mcp.ts";

const envs: IpcEnv[] = [];
afterAll(async () => {
  for (const e of envs) await stopBroker(e);
});

/** A raw `ipc mcp`: write lines, collect stdout lines as JSON. */
function rawServer(e: IpcEnv) {
  const proc = Bun.spawn([...ipcCommand(), "mcp"], { env: { ...e.env, IPC_NAME: "rpc" }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const frames: any[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
        frames.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    }
  })();
  /** Waits (bounded) until `count` frames satisfy `match`. */
  const frames_ = async (match: (f: any) => boolean, count = 1, timeoutMs = 15_000) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hits = frames.filter(match);
      if (hits.length >= count) return hits;
      if (performance.now() > deadline) throw new Error(`waited for ${count} frames; stdout so far: ${JSON.stringify(frames)}`);
      await Bun.sleep(20);
    }
  };
  return { proc, frames, write: (text: string) => proc.stdin.write(text), wait: frames_ };
}

test("parse error -32700, invalid request -32600, invalid params -32602, each one line; the server keeps serving", async () => {
  const e = ipcEnv();
  envs.push(e);
  const s = rawServer(e);
  try {
    s.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })}\n`);
    await s.wait((f) => f.id === 1);
    s.write('{"jsonrpc":"2.0","id":2,"method":"ping"\n'); // cut short: not JSON
    s.write("[1,2]\n"); // a batch
    s.write('{"id":3,"method":"ping"}\n'); // no "jsonrpc": "2.0"
    s.write('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":5}}\n');
    s.write('{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{}}\n');
    s.write("\n");
    s.write('{"jsonrpc":"2.0","id":6,"method":"ping"}\n');
    await s.wait((f) => f.id === 6);
    const errors = s.frames.filter((f) => "error" in f).sort((a, b) => (a.id ?? 0) - (b.id ?? 0) || a.error.code - b.error.code);
    expect(errors.map((f) => [f.id, f.error.code])).toEqual([
      [null, -32700],
      [null, -32600],
      [3, -32600],
      [4, -32602],
      [5, -32602],
    ]);
    for (const f of errors) {
      expect(f.jsonrpc).toBe("2.0");
      expect(f.error.message).not.toContain("\n");
      expect(f.error.message.length).toBeLessThan(200);
    }
    expect(errors[3].error.message).toBe("Invalid params for tools/call: params.name: Invalid input: expected string, received number");
    expect(errors[4].error.message).toContain("params.uri");
    expect(s.frames.find((f) => f.id === 6)).toEqual({ jsonrpc: "2.0", id: 6, result: {} });
  } finally {
    s.proc.kill();
    await s.proc.exited;
  }
});

test("screenedInput: lines split across chunks pass whole; an over-long line is answered once and skipped to its end", async () => {
  const { PassThrough } = await import("node:stream");
  const { screenedInput } = await import("../../src/mcp/jsonrpc.ts");
  const input = new PassThrough();
  const replies: Array<{ id: unknown; error: { code: number; message: string } }> = [];
  const out = screenedInput(input, (e) => replies.push(e), () => {}, 100);
  let passed = "";
  out.on("data", (c: Buffer) => (passed += c.toString()));
  const ended = new Promise((r) => out.on("end", r));
  input.write('{"jsonrpc":"2.0","id":1,');
  input.write('"method":"ping"}\r\n');
  input.write(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"pad":"${"x".repeat(80)}`);
  input.write(`${"y".repeat(80)}"}}\n`);
  input.write('{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
  input.end();
  await ended;
  expect(passed).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}\r\n{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
  expect(replies).toEqual([{ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: a line over 100 bytes was dropped" } }] as never);
});
