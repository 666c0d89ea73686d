/**
 * Cold starts: `ipc send` end to end against a running broker, and `ipc mcp`
 * until it answers `initialize`; and their reference, `cold.bun`: the bare Bun
 * runtime starting, making one request to the same broker and exiting
 * (bench/lib/cold-client.ts), timed in turn with the `ipc send` samples.
 */
import { join } from "node:path";
import { ipcCommand } from "../lib/procs.ts";
import { median } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "ipc-bench", version: "1" } },
})}\n`;

async function timeSend(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([...ipcCommand().cmd, "send", "sink", "cold start", "--as", "cold"], { env, stdout: "ignore", stderr: "pipe" });
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`ipc send exited ${code}: ${await new Response(p.stderr).text()}`);
  return ms;
}

async function timeBun(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "../lib/cold-client.ts"), env.IPC_PORT!], { env, stdout: "ignore", stderr: "inherit" });
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`the cold-start reference client exited ${code}`);
  return ms;
}

async function timeMcp(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([...ipcCommand().cmd, "mcp"], { env, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  p.stdin.write(INITIALIZE);
  p.stdin.flush();
  const reader = p.stdout.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("ipc mcp exited before answering initialize");
    text += new TextDecoder().decode(value);
    if (text.includes('"id":1')) break;
  }
  const ms = performance.now() - t0;
  p.kill();
  await p.exited;
  return ms;
}

export async function coldStart(env: Record<string, string>, t: Timing): Promise<Measurements> {
  const reg = Bun.spawn([...ipcCommand().cmd, "register", "cold"], { env, stdout: "ignore", stderr: "inherit" });
  if ((await reg.exited) !== 0) throw new Error("could not register the cold-start sender");
  const sends: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < t.samples + 2; i++) {
    const ms = await timeSend(env);
    const ref = await timeBun(env);
    if (i >= 2) {
      sends.push(ms);
      bare.push(ref);
    }
  }
  const out: Measurements = { "cold.send": median(sends), "cold.bun": median(bare) };
  const mcp: number[] = [];
  try {
    for (let i = 0; i < Math.max(2, Math.ceil(t.samples / 2)) + 1; i++) {
      const ms = await timeMcp({ ...env, IPC_NAME: "" });
      if (i >= 1) mcp.push(ms);
    }
    out["cold.mcp"] = median(mcp);
  } catch (err) {
    process.stderr.write(`cold.mcp not measured: ${(err as Error).message}\n`);
  }
  return out;
}
